"""The ``ogp_readiness_report`` asset: builds the report from the portal and the gate's and
integrity stage's local outputs (never a clean table) and publishes it. Unpartitioned: it
reads the whole portal. Wire it after the published assets::

    build_readiness_asset(deps=[published_assets...])
"""

from collections.abc import Sequence

import dagster as dg

from pipelines.layout import READINESS_REPORT

GROUP = "readiness"


def build_readiness_asset(
    deps: Sequence[dg.AssetKey | dg.AssetsDefinition | dg.AssetSpec | str],
) -> dg.AssetsDefinition:
    @dg.asset(
        name=READINESS_REPORT,
        deps=list(deps),
        group_name=GROUP,
        kinds={"html", "json"},
        description="OGP values-and-commitments readiness report (HTML, JSON, Markdown), "
        "computed from the published portal and published to it as ogp-readiness-report.",
    )
    def ogp_readiness_report() -> dg.MaterializeResult:
        from pipelines.readiness.run import run_report  # keep Definitions import light

        outcome = run_report()
        eligibility = outcome.report.eligibility
        metadata: dict[str, dg.RawMetadataValue] = {
            "eligibility_outcome": eligibility.outcome,
            "eligibility_points": eligibility.total,
            "eligibility_available": eligibility.available,
            "methodology_version": outcome.report.methodology_version,
            "agencies": len(outcome.report.agencies),
            "path": dg.MetadataValue.path(str(outcome.paths.html)),
        }
        if outcome.published is not None:
            metadata["dataset_url"] = dg.MetadataValue.url(outcome.published.dataset_url)
            metadata["html_url"] = dg.MetadataValue.url(
                outcome.published.resource(".html").download_url
            )
        return dg.MaterializeResult(metadata=metadata)

    return ogp_readiness_report

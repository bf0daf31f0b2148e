"""Publishing to CKAN (docs/ARCHITECTURE.md).

- ``model``: the intended catalog as plain data (``PublishRequest`` and friends)
- ``request`` / ``catalog``: build it from dataset contracts and validated partitions on disk
- ``plan``: the diff against the portal (create / update / unchanged, orphans)
- ``ckan``: ``CKANPublisher``, the Dagster resource that applies it, with receipts

Nothing is imported here so that ``import pipelines.publish.model`` stays cheap (no Dagster).
"""

"""R038 excessive disqualified bids (Cardinal): the share of a tenderer's (or a buyer's)
submitted bids that were disqualified is a high outlier.

Submitted bids (valid, disqualified, pending) of processes not cancelled, with or without an
award. Per group in ``$groups``: ``tenderer`` (by the OCDS tenderer id; tenderers with fewer
than ``$minimum_submitted_bids`` submitted bids left out) and ``buyer`` (the agency; buyers
below ``$minimum_contracting_processes`` left out, counted in submitted bids as Cardinal's
implementation and its documented example do, although its page says processes).
ratio = disqualified / submitted; upper fence = Q3 + 1.5 IQR of the group's ratios (Cardinal's
quartiles), or ``$threshold`` when it is a number; a subject is flagged when the fence > 0 and
its ratio ≥ the fence. Cardinal flags organizations, not processes: the red-flags file lists
each process in which a flagged subject had a bid disqualified, naming the subjects.
"""

QUERY = """
WITH submitted AS (
    SELECT p.agency_code, p.project_id, b.tenderer_id, b.bid_status = 'disqualified' AS out
    FROM processes AS p JOIN bids AS b USING (agency_code, project_id)
    WHERE b.bid_status IN ('valid', 'disqualified', 'pending')
),
subjects AS (
    SELECT 'tenderer' AS grp, tenderer_id AS subject,
           count(*) FILTER (WHERE out) AS disqualified, count(*) AS submitted
    FROM submitted
    WHERE tenderer_id IS NOT NULL
    GROUP BY tenderer_id
    HAVING count(*) >= $minimum_submitted_bids
    UNION ALL
    SELECT 'buyer', agency_code, count(*) FILTER (WHERE out), count(*)
    FROM submitted
    GROUP BY agency_code
    HAVING count(*) >= $minimum_contracting_processes  -- bids, as Cardinal counts it
),
ratios AS (
    SELECT *, disqualified / submitted AS ratio FROM subjects WHERE list_contains($groups, grp)
),
fences AS (
    SELECT grp,
           coalesce(CAST($threshold AS DOUBLE),
                    r8(list(ratio), 0.75) + 1.5 * (r8(list(ratio), 0.75) - r8(list(ratio), 0.25)))
               AS upper_fence
    FROM ratios
    GROUP BY grp
),
flagged AS (
    SELECT r.*, f.upper_fence
    FROM ratios AS r JOIN fences AS f USING (grp)
    WHERE f.upper_fence > 0 AND r.ratio >= f.upper_fence
),
hits AS (
    SELECT DISTINCT s.agency_code, s.project_id, f.grp, f.subject, f.disqualified, f.submitted,
           f.ratio, f.upper_fence
    FROM submitted AS s JOIN flagged AS f
      ON s.out AND ((f.grp = 'tenderer' AND s.tenderer_id = f.subject)
                    OR (f.grp = 'buyer' AND s.agency_code = f.subject))
)
SELECT agency_code, project_id,
       string_agg(format('{} {} had {}/{} bids disqualified (ratio {:.2f} >= fence {:.2f})',
                         grp, subject, disqualified, submitted, ratio, upper_fence),
                  '; ' ORDER BY grp, subject) AS detail,
       to_json({'subjects': list({'group': grp, 'id': subject, 'disqualified_bids': disqualified,
                                  'submitted_bids': submitted, 'ratio': ratio,
                                  'upper_fence': upper_fence} ORDER BY grp, subject)})::VARCHAR
           AS "values"
FROM hits
GROUP BY agency_code, project_id
"""

"""R035 all except winning bid disqualified and R036 lowest bid disqualified (Cardinal).

A bid is *submitted* when its status is valid, disqualified or pending (not withdrawn or
invited). R035: a process with an active award where exactly one tenderer (by id) has valid
bids, that tenderer is the award's supplier, and at least ``$threshold`` other tenderers have
disqualified bids. R036: a process with an active award, at least one valid bid with an amount,
where the lowest submitted bid with an amount is disqualified. Ties follow Cardinal (r036.rs:
reading bids.details in order, only a strictly lower amount replaces the lowest, so the first
of equal lowest bids wins) on the published order of bids.details (amount, then bidder_tax_id,
then bidder_name: the OCDS export's order, pipelines.integrity.ocds_bids).
"""

ALL_BUT_WINNER = """
WITH tenderers AS (
    SELECT a.agency_code, a.project_id, any_value(a.supplier_id) AS supplier_id,
           coalesce(list(DISTINCT b.tenderer_id) FILTER (
               WHERE b.bid_status = 'valid' AND b.tenderer_id IS NOT NULL), []) AS valid_ids,
           coalesce(list(DISTINCT b.tenderer_id) FILTER (
               WHERE b.bid_status = 'disqualified' AND b.tenderer_id IS NOT NULL), []) AS out_ids
    FROM awards AS a JOIN bids AS b USING (agency_code, project_id)
    GROUP BY a.agency_code, a.project_id
),
counted AS (
    -- the winner's own disqualified bids do not count (it has exactly one id here)
    SELECT *, len(out_ids) - CAST(list_contains(out_ids, valid_ids[1]) AS INTEGER) AS disqualified
    FROM tenderers
    WHERE len(valid_ids) = 1 AND valid_ids[1] = supplier_id
)
SELECT agency_code, project_id,
       format('{} other tenderer(s) disqualified, the winner''s the only valid bid',
              disqualified) AS detail,
       to_json({'disqualified_tenderers': disqualified, 'valid_tenderers': 1,
                'threshold': greatest(CAST($threshold AS INTEGER), 1)})::VARCHAR AS "values"
FROM counted
WHERE disqualified >= greatest(CAST($threshold AS INTEGER), 1)
"""

LOWEST_DISQUALIFIED = """
WITH submitted AS (
    SELECT b.agency_code, b.project_id, b.bid_status, b.bid_amount, b.bidder_tax_id,
           b.bidder_name
    FROM awards AS a JOIN bids AS b USING (agency_code, project_id)
    WHERE b.bid_status IN ('valid', 'disqualified', 'pending') AND b.bid_amount IS NOT NULL
),
lowest AS (
    -- the first bid in the published order (bids.details: amount, then bidder_tax_id, then
    -- bidder_name), as Cardinal reads them: a strictly lower amount replaces the lowest
    SELECT agency_code, project_id,
           first(bid_status ORDER BY bid_amount, coalesce(bidder_tax_id, ''),
                 coalesce(bidder_name, '')) AS lowest_status,
           min(bid_amount) AS lowest_amount,
           min(bid_amount) FILTER (WHERE bid_status <> 'disqualified') AS lowest_other,
           count(*) FILTER (WHERE bid_status = 'valid') AS valid_bids
    FROM submitted
    GROUP BY agency_code, project_id
)
SELECT agency_code, project_id,
       format('lowest bid {:,.2f} THB disqualified (lowest other {:,.2f} THB)',
              lowest_amount, lowest_other) AS detail,
       to_json({'lowest_disqualified_bid': lowest_amount,
                'lowest_other_bid': lowest_other,
                'valid_bids': valid_bids})::VARCHAR AS "values"
FROM lowest
WHERE valid_bids > 0 AND lowest_status = 'disqualified'
"""

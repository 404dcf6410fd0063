"""RFM scores: recency, frequency and monetary value as metrics 1-5, refreshed set-based.

Among a workspace's customers with at least one order, each score is
``ceil(5 * cume_dist())`` over one value: ``days_since_last_order`` descending (the most recent
score 5) for ``rfm_r``, ``order_count`` ascending for ``rfm_f``, ``lifetime_spend`` ascending
for ``rfm_m``. PostgreSQL's ``cume_dist`` is the fraction of customers whose value comes before
or ties with one's own, so equal values get equal scores. ``rfm_fm`` is the mean of ``rfm_f``
and ``rfm_m`` rounded half up. Customers without orders have no scores (NULL).

The scores live on the customer row and change only at a refresh (one statement per
workspace, daily by ``service.work`` or on request), never per event: a customer's score
depends on everyone else's values, so updating it per event would rewrite the whole workspace
each time.

- ``repository``: the refresh statement and the record of the last refresh per workspace;
- ``service``: a refresh, which queues the reclassification of what reads the scores, and
  the daily loop;
- ``schemas`` and ``router``: the HTTP side.
"""

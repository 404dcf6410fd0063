"""Background jobs: a PostgreSQL queue of chunked work, claimed with ``FOR UPDATE SKIP LOCKED``.

RECLASSIFY_JOB is queued from several layers (a scheme version saved, a metric backfill
finished, an RFM refresh), and run above them all by ``app.reclassification.jobs``.
"""

RECLASSIFY_JOB = "reclassify"

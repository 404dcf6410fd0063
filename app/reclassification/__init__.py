"""When customers are re-classified without a request of theirs: the jobs that apply a new
scheme or segment version (or a metric that finished its backfill) to every customer, chunk by
chunk, and the review scheduler for customers whose tiers move with time alone. Both hand
their customers to the classification pipeline (``app.classification.pipeline``)."""

"""Customer lifetime value: BG/NBD and Gamma-Gamma models fitted per workspace, whose
predictions are metrics (``app.customers.metrics.CLV_METRICS``)."""

FIT_JOB = "clv_fit"
SCORE_JOB = "clv_score"

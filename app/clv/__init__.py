"""Customer lifetime value: BG/NBD and Gamma-Gamma models fitted per workspace, and every
customer rescored with them; ``app.predictions`` makes the predictions, which are metrics
(``app.customers.metrics.CLV_METRICS``)."""

FIT_JOB = "clv_fit"
SCORE_JOB = "clv_score"

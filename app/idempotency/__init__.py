"""Idempotency keys: the first answer to a request that creates something, kept 24 hours to
answer its retries (Stripe's semantics; README, "Safe retries")."""

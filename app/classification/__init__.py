"""The one pipeline: facts changed -> tiers, segments, history, outbox, next_review_at."""

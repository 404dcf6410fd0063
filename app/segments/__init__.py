"""Saved segments, ad-hoc customer queries, counts, exports."""

MEMBERSHIP_JOB = "segment_membership"

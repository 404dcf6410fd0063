"""Tier analytics: how customers spread over a scheme's tiers, how they move between them, and
what each tier's customers bring in over a period.

Every figure is read from the tier history, the current tiers and the daily roll-ups in a few
set-based statements; erased customers count only as having left (their history is erased too).
"""

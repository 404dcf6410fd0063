"""Tierline: a headless customer-tiering service."""

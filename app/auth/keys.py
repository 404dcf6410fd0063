"""API key material: generation, hashing and the scopes a key may carry."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from app.settings import KEY_PATTERN

KEY_PREFIX = "tl_"
DISPLAY_PREFIX_LENGTH = 10


class Scope(StrEnum):
    EVENTS_WRITE = "events:write"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    SCHEMES_WRITE = "schemes:write"
    SEGMENTS_READ = "segments:read"
    SEGMENTS_WRITE = "segments:write"
    WEBHOOKS_MANAGE = "webhooks:manage"
    ADMIN = "admin"
    INSTANCE = "instance"


def generate_key() -> str:
    # 32 random bytes, URL-safe: 43 characters after the prefix.
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> bytes:
    # Keys carry 256 bits of entropy, so a fast hash is safe: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).digest()


def looks_like_key(value: str) -> bool:
    return bool(KEY_PATTERN.match(value))


def display_prefix(key: str) -> str:
    return key[:DISPLAY_PREFIX_LENGTH]


def grants(held: frozenset[str], needed: Scope) -> bool:
    """``admin`` implies every scope of its workspace, but never ``instance``."""
    if needed in held:
        return True
    return needed is not Scope.INSTANCE and Scope.ADMIN in held

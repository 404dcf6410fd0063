"""Domain errors. Each carries its HTTP status and a stable ``type`` slug; services raise them,
and one handler (``app.api.problems``) turns them into problem+json responses."""

from __future__ import annotations

from typing import Any


class TierlineError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(TierlineError):
    pass


class Unauthorized(TierlineError):
    status, slug, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(TierlineError):
    status, slug, title = 403, "forbidden", "The API key lacks a required scope"


class NotFound(TierlineError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(TierlineError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(TierlineError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(TierlineError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported content type"


class Unprocessable(TierlineError):
    """A well-formed request the service cannot act on (e.g. a currency without a rate)."""

    status, slug, title = 422, "unprocessable", "Request cannot be processed"


class InvalidInput(Unprocessable):
    """Input the request schema admits but the service's own checks refuse: the same 422
    ``validation-error`` problem, with an ``errors`` list naming each field, as a request
    the schema refuses."""

    slug, title = "validation-error", "Request validation failed"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        first = errors[0]
        super().__init__(f"{first['field']}: {first['message']}", errors=errors)

    @classmethod
    def at(cls, field: str, message: str, code: str) -> InvalidInput:
        return cls([{"field": field, "message": message, "code": code}])

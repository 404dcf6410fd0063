"""Domain errors. Each carries its HTTP status and a stable ``type`` slug; services raise them,
and one handler (``app.api.problems``) turns them into problem+json responses.

Also the schema of that problem+json document (``Problem``), for response models that carry a
problem inside a result (a rejected batch item), and ``field_errors``, Pydantic's errors as the
``errors`` list of ``InvalidInput``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field


class TierlineError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"
    retry_after: int | None = None
    """Seconds for a ``Retry-After`` header, for refusals that pass."""

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


def field_errors(errors: Sequence[Any], drop_prefix: int = 0) -> list[dict[str, str]]:
    """Pydantic errors → ``[{"field", "message", "code"}]`` with dotted paths."""
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())][drop_prefix:]
        message = str(error.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        result.append(
            {
                "field": ".".join(location) or "body",
                "message": message,
                "code": str(error.get("type", "invalid")),
            }
        )
    return result


class FieldError(BaseModel):
    field: str = Field(description="Dotted path to the offending value, e.g. `events.3.amount`.")
    message: str
    code: str = Field(description="Machine-readable reason, e.g. `missing`, `too_long`.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["urn:tierline:problem:validation-error"])
    title: str = Field(examples=["Request validation failed"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["amount: must not be negative"])
    instance: str | None = Field(default=None, examples=["/v1/events"])
    errors: list[FieldError] | None = Field(
        default=None, description="Validation errors, one per offending field."
    )

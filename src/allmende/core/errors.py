"""Errors that carry what a client needs: an HTTP status, a stable code and the fields at fault.

The HTTP layer renders them as RFC 9457 problem documents (or a standard's own error format);
business code raises them and never builds responses itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction into the catalogues; it is translated where it is shown
    (reasons of a :class:`FieldError` are such English message ids)."""
    return message


@dataclass(frozen=True)
class FieldError:
    """One reason an input was refused, pointing at the field (dotted path, e.g. ``body.name``)."""

    field: str
    reason: str


class ConfigurationError(Exception):
    """The installation is configured in a way that must not run."""


@dataclass
class AllmendeError(Exception):
    """Base of every error a client may see."""

    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    #: HTTP headers the answer carries (``Retry-After`` of a 503 or 429).
    headers: dict[str, str] = field(default_factory=dict)

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __str__(self) -> str:
        return self.detail or self.title


class BadRequest(AllmendeError):
    status = 400
    code = "bad-request"
    title = "Bad request"


class ValidationFailed(AllmendeError):
    status = 422
    code = "validation-failed"
    title = "Invalid input"

    @classmethod
    def one(cls, field_name: str, reason: str) -> ValidationFailed:
        return cls(detail=f"{field_name}: {reason}", errors=[FieldError(field_name, reason)])


class Unauthorized(AllmendeError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(AllmendeError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(AllmendeError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(AllmendeError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(AllmendeError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(AllmendeError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class ServiceUnavailable(AllmendeError):
    status = 503
    code = "service-unavailable"
    title = "Service unavailable"


class MethodNotAllowed(AllmendeError):
    status = 405
    code = "method-not-allowed"
    title = "Method not allowed"


class NotAcceptable(AllmendeError):
    status = 406
    code = "not-acceptable"
    title = "Not acceptable"


class TooManyRequests(AllmendeError):
    status = 429
    code = "too-many-requests"
    title = "Too many requests"

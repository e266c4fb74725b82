"""The errors services raise, already in the two shapes KAZOO puts on the wire (docs/kazoo-compatibility.md §3).

Services never build HTTP responses; the API turns these into envelopes in one place.
"""

from __future__ import annotations

from typing import Any

from backend.schema import ErrorMap


class KazooError(Exception):
    """An error response: HTTP status, the envelope's `message`, and its `data`."""

    def __init__(
        self,
        status: int,
        message: str,
        data: Any = None,
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}: {data}")
        self.status = status
        self.message = message
        self.data = {} if data is None else data
        # Close the connection after answering (the request body was left unread).
        self.close = close
        self.headers = headers or {}


class EmptyBodyError(Exception):
    """Errors cowboy answers with an empty body (406, 412, 415, 501, 304)."""

    def __init__(self, status: int) -> None:
        super().__init__(str(status))
        self.status = status


def validation_error(errors: ErrorMap) -> KazooError:
    return KazooError(400, "validation error", errors)


def system_error(status: int, atom: str, text: str, **extra: Any) -> KazooError:
    return KazooError(status, atom, {"message": text, **extra})


def bad_identifier(doc_id: str) -> KazooError:
    return KazooError(404, "bad_identifier", {"cause": doc_id, "message": "bad identifier"})


def not_found() -> KazooError:
    return system_error(404, "not_found", "not found")


def invalid_method(allowed: list[str] | None = None) -> KazooError:
    error = system_error(405, "invalid_method", "method not allowed")
    if allowed is not None:
        error.headers["Allow"] = ", ".join(["OPTIONS", *allowed])
    return error


def invalid_credentials() -> KazooError:
    return system_error(401, "invalid_credentials", "invalid credentials")


def expired_token() -> KazooError:
    return KazooError(401, "invalid credentials", {})


def forbidden() -> KazooError:
    return system_error(403, "forbidden", "forbidden")


def conflict() -> KazooError:
    return system_error(409, "datastore_conflict", "conflicting documents")


def too_many_requests(retry_after_s: int, what: str) -> KazooError:
    return KazooError(
        429,
        "too_many_requests",
        {"message": f"too many {what}; retry in {retry_after_s} s"},
        headers={"Retry-After": str(retry_after_s)},
    )


def internal_error(request_id: str) -> KazooError:
    """A bug: KAZOO's 500 shape, with nothing of the exception (the log has it)."""
    return KazooError(
        500,
        "datastore_fault",
        {
            "cause": f"internal error; the server log has the details under request {request_id}",
            "message": "unknown failure",
        },
    )


def datastore_fault(cause: str) -> KazooError:
    return KazooError(500, "datastore_fault", {"cause": cause, "message": "unknown failure"})

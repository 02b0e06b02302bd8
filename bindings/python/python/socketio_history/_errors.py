"""The errors of the message operations (CONTRACT.md, "Errors").

Each is a subclass of the built-in error of its category, so ``except
ValueError`` / ``LookupError`` / ``PermissionError`` keep working, and of
:class:`HistoryError`, so one ``except`` catches them all. ``code`` is the
name of the C API's ``sioh_status`` for the same category: behaviour is the
same in every language. Wrong types stay plain ``TypeError``.
"""

from __future__ import annotations


class HistoryError(Exception):
    """Base of the message operations' errors."""

    code: str = "INTERNAL_ERROR"


class HistoryNotEnabledError(HistoryError, ValueError):
    """The room has no history (``enable_history`` it first)."""

    code = "NOT_ENABLED"


class MessageNotFoundError(HistoryError, LookupError):
    """The room holds no message with this id (never created, or every one
    of its entries was evicted)."""

    code = "NOT_FOUND"


class InvalidMessageError(HistoryError, ValueError):
    """Malformed input or an operation the message's state does not allow:
    a bad id or an id in use, an update that changes nothing, an empty or
    non-text append, an operation on a deleted or closed message."""

    code = "INVALID_ARGUMENT"


class MessageTooLargeError(HistoryError, ValueError):
    """A limit would be exceeded; ``limit`` names it (``max_message_bytes``,
    ``max_appends``, ``max_open_streams``, ``max_bytes``, ``max_total_bytes``)."""

    code = "PAYLOAD_TOO_LARGE"

    def __init__(self, message: str, limit: str | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class MessageForbiddenError(HistoryError, PermissionError):
    """The actor's grants do not allow the operation."""

    code = "FORBIDDEN"


__all__ = [
    "HistoryError",
    "HistoryNotEnabledError",
    "InvalidMessageError",
    "MessageForbiddenError",
    "MessageNotFoundError",
    "MessageTooLargeError",
]

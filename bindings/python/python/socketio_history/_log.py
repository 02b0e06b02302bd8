"""The package's logger, and what happens when history cannot record an
emit: it is logged (and counted by the core), never raised into the emit."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("socketio_history")


def record_failed(error: BaseException, event: Any, target: Any, namespace: Any) -> None:
    """History must never break an emit: log what went wrong, let it go out."""
    if isinstance(error, (TypeError, ValueError)):
        # A payload history cannot hold (counted in the rooms' record_errors).
        logger.warning(
            "not recorded: event %r to %r in namespace %r: %s", event, target, namespace, error
        )
    elif isinstance(error, Exception) or type(error).__name__ == "PanicException":
        # An internal error; a Rust panic surfaces as pyo3's PanicException,
        # a BaseException.
        logger.error(
            "internal error recording event %r to %r in namespace %r",
            event,
            target,
            namespace,
            exc_info=error,
        )
    else:
        raise error

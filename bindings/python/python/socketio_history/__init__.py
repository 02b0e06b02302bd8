"""In-memory message history for Socket.IO rooms.

Importing this package gives every ``socketio.Server`` and
``socketio.AsyncServer`` the methods ``enable_history``, ``disable_history``,
``get_history``, ``get_history_page``, ``get_history_stats``,
``clear_history``, ``replay_history`` and ``enter_room_with_history``, the
mutable messages' ``create_message``, ``update_message``,
``delete_message``, ``append_message``, ``get_message`` and
``get_message_versions``, and connection state recovery (coroutines on
``AsyncServer`` where the server's own methods are), and a ``history``
attribute holding the server's :class:`HistoryStore`. Emits to
rooms with history enabled are recorded automatically.

With the package installed, a plain ``import socketio`` does the same (set
``SOCKETIO_HISTORY_AUTOPATCH=0`` to turn that off).

The supported python-socketio and python-engineio versions are checked
first: outside them this import raises :class:`UnsupportedEnvironmentError`
and patches nothing (see ``_compat.py``).
"""

from typing import TYPE_CHECKING, Any

# Before anything of python-socketio is hooked, or imported past its top
# level: the supported versions, and every name the package hooks.
from . import _compat
from ._compat import UnsupportedEnvironmentError, check

check()

from ._errors import (  # noqa: E402
    HistoryError,
    HistoryNotEnabledError,
    InvalidMessageError,
    MessageForbiddenError,
    MessageNotFoundError,
    MessageTooLargeError,
)
from ._native import (  # noqa: E402
    CLEAR,
    DEFAULT_MAX_ENTRIES,
    DEFAULT_VERSIONS_LIMIT,
    KEEP,
    MAX_DEPTH,
    CoarseClock,
    HistoryStore,
    ManualClock,
    __version__,
)
from ._server import install  # noqa: E402
from ._types import Entry, Message, Mutation, OpenReport, Page, Stats  # noqa: E402

if TYPE_CHECKING:
    from ._streams_async import AsyncRedisStreamsManager
    from ._streams_sync import RedisStreamsManager

install()

# The Redis Streams managers are imported when first used: `import
# socketio_history` imports no optional dependency.
_LAZY = {
    "RedisStreamsManager": "_streams_sync",
    "AsyncRedisStreamsManager": "_streams_async",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    _compat.check_streams()
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "CLEAR",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_VERSIONS_LIMIT",
    "KEEP",
    "MAX_DEPTH",
    "AsyncRedisStreamsManager",
    "CoarseClock",
    "Entry",
    "HistoryError",
    "HistoryNotEnabledError",
    "HistoryStore",
    "InvalidMessageError",
    "ManualClock",
    "Message",
    "MessageForbiddenError",
    "MessageNotFoundError",
    "MessageTooLargeError",
    "Mutation",
    "OpenReport",
    "Page",
    "RedisStreamsManager",
    "Stats",
    "UnsupportedEnvironmentError",
    "__version__",
    "install",
]

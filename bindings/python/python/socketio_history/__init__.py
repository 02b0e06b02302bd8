"""In-memory message history for Socket.IO rooms.

Importing this package gives every ``socketio.Server`` and
``socketio.AsyncServer`` the methods ``enable_history``, ``disable_history``,
``get_history``, ``get_history_page``, ``get_history_stats``,
``clear_history`` and ``replay_history``, the mutable messages'
``create_message``, ``update_message``, ``delete_message``,
``append_message``, ``get_message`` and ``get_message_versions``, and
connection state recovery (coroutines on ``AsyncServer`` where the server's
own methods are), and
a ``history`` attribute holding the server's :class:`HistoryStore`. Emits to
rooms with history enabled are recorded automatically.

With the package installed, a plain ``import socketio`` does the same (set
``SOCKETIO_HISTORY_AUTOPATCH=0`` to turn that off).
"""

from ._errors import (
    HistoryError,
    HistoryNotEnabledError,
    InvalidMessageError,
    MessageForbiddenError,
    MessageNotFoundError,
    MessageTooLargeError,
)
from ._native import (
    CLEAR,
    DEFAULT_MAX_ENTRIES,
    KEEP,
    MAX_DEPTH,
    CoarseClock,
    HistoryStore,
    ManualClock,
    __version__,
)
from ._server import install
from ._streams_async import AsyncRedisStreamsManager
from ._streams_sync import RedisStreamsManager
from ._types import Entry, Message, Mutation, Page, Stats

install()

__all__ = [
    "CLEAR",
    "DEFAULT_MAX_ENTRIES",
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
    "Page",
    "RedisStreamsManager",
    "Stats",
    "__version__",
    "install",
]

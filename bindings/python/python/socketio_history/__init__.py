"""In-memory message history for Socket.IO rooms.

Importing this package gives every ``socketio.Server`` and
``socketio.AsyncServer`` the methods ``enable_history``, ``disable_history``,
``get_history``, ``get_history_page``, ``get_history_stats``,
``clear_history`` and ``replay_history`` (coroutines on ``AsyncServer``), and
a ``history`` attribute holding the server's :class:`HistoryStore`. Emits to
rooms with history enabled are recorded automatically.

With the package installed, a plain ``import socketio`` does the same (set
``SOCKETIO_HISTORY_AUTOPATCH=0`` to turn that off).
"""

from ._native import DEFAULT_MAX_ENTRIES, MAX_DEPTH, HistoryStore, ManualClock, __version__
from ._server import install
from ._types import Entry, Page, Stats

install()

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "MAX_DEPTH",
    "Entry",
    "HistoryStore",
    "ManualClock",
    "Page",
    "Stats",
    "__version__",
    "install",
]

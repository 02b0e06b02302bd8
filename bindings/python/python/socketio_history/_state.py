"""What socketio-history keeps for one server: one :class:`ServerState`,
held by the server and by its client manager (the emit hook runs on the
manager), created the first time the server uses history.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import TYPE_CHECKING, Any

import socketio

from ._hook import STATE_KEY, install_emit_hook
from ._log import logger
from ._native import HistoryStore, _Recorder, _RecoveryLog, _Replayer

if TYPE_CHECKING:
    from ._recovery import Recovery

# The key of the state in the server's and the manager's __dict__. A manager
# without it belongs to a server that never used history: the emit hook then
# costs one dict lookup.
KEY = STATE_KEY

_lock = threading.Lock()


class ServerState:
    """One server's history: its store (and the store's private native
    parts), the delivery lock, connection state recovery when on, and where
    each client joined each room with history."""

    __slots__ = ("joined", "lock", "recorder", "recovery", "recovery_log", "replayer", "store")

    def __init__(self, store: HistoryStore, lock: Any) -> None:
        self._bind(store)
        # Held by an emit from recording to delivery, and by a replay or a
        # restore while it reads and sends: offsets reach every client in
        # order, and a replay meets live traffic at an exact boundary. A
        # `threading.RLock` for `socketio.Server`, an `asyncio.Lock` for
        # `AsyncServer`.
        self.lock = lock
        self.recovery: Recovery | None = None
        # (namespace, sid, room) -> the room's last seq when sid joined it:
        # what a replay to it ends at.
        self.joined: dict[tuple[str, str, str], int] = {}

    def _bind(self, store: HistoryStore) -> None:
        """The store and its private native parts."""
        self.store = store
        self.recorder = _Recorder(store)
        self.recovery_log = _RecoveryLog(store)
        self.replayer = _Replayer(store)

    def use_store(self, store: HistoryStore) -> None:
        self._bind(store)
        self.joined.clear()
        if self.recovery is not None:
            self.recovery.store_changed()


# How often a durable store's journal failures are looked at (a failed
# write never fails an emit: the store goes on from memory, and says so in
# the log).
JOURNAL_CHECK_SECONDS = 2.0
_watched: weakref.WeakSet[HistoryStore] = weakref.WeakSet()


def watch_journal(store: HistoryStore) -> None:
    """Log a durable store's journal failures as they happen, from a daemon
    thread that lives as long as the store (nothing on the emit path)."""
    if store.path is None or store in _watched:
        return
    _watched.add(store)
    ref = weakref.ref(store)

    def watch() -> None:
        seen = 0
        stop = threading.Event()
        while not stop.wait(JOURNAL_CHECK_SECONDS):
            s = ref()
            if s is None:
                return
            failures = s.journal_failures
            if failures != seen:
                logger.error(
                    "history store %s: %d journal failure(s), serving from memory; last: %s",
                    s.path,
                    failures - seen,
                    s.journal_error,
                )
                seen = failures
            del s

    threading.Thread(target=watch, name="socketio-history-journal", daemon=True).start()


def state_of(server: Any) -> ServerState:
    """The server's state, created (with a new store, and the emit hook
    installed) on first use."""
    state: ServerState | None = server.__dict__.get(KEY)
    return state if state is not None else attach(server, None)


def attach(server: Any, store: HistoryStore | None) -> ServerState:
    """Give ``server`` (and its manager) a state with ``store``, or keep its
    state and put ``store`` in it; ``None`` keeps the store it has."""
    install_emit_hook()
    with _lock:
        state: ServerState | None = server.__dict__.get(KEY)
        if state is None:
            is_async = isinstance(server, socketio.AsyncServer)
            lock = asyncio.Lock() if is_async else threading.RLock()
            state = ServerState(store or HistoryStore(), lock)
            server.__dict__[KEY] = server.manager.__dict__[KEY] = state
        elif store is not None and store is not state.store:
            state.use_store(store)
        watch_journal(state.store)
        return state


def store_of(server: Any) -> HistoryStore:
    """The server's store, created on first use."""
    return state_of(server).store


def delivery_lock(server: Any) -> Any:
    """The server's delivery lock (see :class:`ServerState`)."""
    return state_of(server).lock


def _set_store(server: Any, store: HistoryStore) -> None:
    if not isinstance(store, HistoryStore):
        raise TypeError(
            f"history must be a socketio_history.HistoryStore, not {type(store).__name__}"
        )
    attach(server, store)


history_property = property(
    store_of,
    _set_store,
    doc="""This server's :class:`~socketio_history.HistoryStore`, created on first use.

    Assign a store to configure it, e.g. with a budget across all rooms:
    ``sio.history = HistoryStore(max_total_bytes=64 * 2**20)`` (before
    enabling rooms: a new store starts empty).""",
)

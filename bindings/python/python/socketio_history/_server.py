"""The python-socketio integration: server methods and the emit hook.

Recording hooks ``Manager.emit`` and ``AsyncManager.emit``: every message a
server delivers to its clients passes there once per node — a local
``emit``/``send``/``Namespace.emit``, an ``ignore_queue`` emit, and with a
message queue both the originating node's own copy and every copy a node
receives from the queue (``PubSubManager._handle_emit`` calls it). The hook
records *before* the original runs, because ``Manager.emit`` returns early
when nobody is connected to the namespace yet.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable
from typing import Any

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager
from socketio.pubsub_manager import PubSubManager

from ._native import HistoryStore
from ._types import Entry, Page, Stats

logger = logging.getLogger("socketio_history")

# Where a server keeps its store, and where its manager finds it. A manager
# without the key belongs to a server that never used history: the emit hook
# (installed once any server uses history) then costs one dict lookup.
_STORE = "_socketio_history_store"
_PATCHED = "_socketio_history_patched"

Events = str | Iterable[str] | None


def _store(server: Any) -> HistoryStore:
    store = server.__dict__.get(_STORE)
    if store is None:
        _hook_emit()
        # setdefault keeps one store if two threads get here at once.
        store = server.__dict__.setdefault(_STORE, HistoryStore())
        server.manager.__dict__[_STORE] = store
    return store


def _set_history_store(self: Any, store: HistoryStore) -> None:
    if not isinstance(store, HistoryStore):
        raise TypeError(
            f"history must be a socketio_history.HistoryStore, not {type(store).__name__}"
        )
    _hook_emit()
    self.__dict__[_STORE] = store
    self.manager.__dict__[_STORE] = store


_history = property(
    _store,
    _set_history_store,
    doc="""This server's :class:`~socketio_history.HistoryStore`, created on first use.

    Assign a store to configure it, e.g. with a budget across all rooms:
    ``sio.history = HistoryStore(max_total_bytes=64 * 2**20)`` (before
    enabling rooms: a new store starts empty).""",
)


def _record_failed(error: BaseException, event: Any, target: Any, namespace: Any) -> None:
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


# The wrappers spell out Manager.emit's own signature: packing and unpacking
# *args/**kwargs cost more than the rest of the hook. `to` is passed on only
# when given, for python-socketio releases whose Manager.emit predates it.


def _wrap_sync_emit(original: Any) -> Any:
    @functools.wraps(original)
    def emit(
        self: Any,
        event: Any,
        data: Any,
        namespace: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        store = self.__dict__.get(_STORE)
        if store is not None and (to or room) is not None:
            try:
                store._record_emit(namespace or "/", to or room, event, data)
            except BaseException as e:
                _record_failed(e, event, to or room, namespace)
        if to is None:
            return original(self, event, data, namespace, room, skip_sid, callback, **kwargs)
        return original(self, event, data, namespace, room, skip_sid, callback, to=to, **kwargs)

    emit.__dict__[_PATCHED] = True
    return emit


def _wrap_async_emit(original: Any) -> Any:
    @functools.wraps(original)
    async def emit(
        self: Any,
        event: Any,
        data: Any,
        namespace: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        store = self.__dict__.get(_STORE)
        if store is not None and (to or room) is not None:
            try:
                store._record_emit(namespace or "/", to or room, event, data)
            except BaseException as e:
                _record_failed(e, event, to or room, namespace)
        if to is None:
            return await original(self, event, data, namespace, room, skip_sid, callback, **kwargs)
        return await original(
            self, event, data, namespace, room, skip_sid, callback, to=to, **kwargs
        )

    emit.__dict__[_PATCHED] = True
    return emit


def _listen_to_the_queue(server: Any) -> None:
    """Start a message queue's listener now: python-socketio starts it on the
    first client connection, but a node with history must record what other
    nodes emit before any client of its own connects."""
    manager = server.manager
    if server.manager_initialized or getattr(manager, "write_only", True):
        return
    if isinstance(manager, (PubSubManager, AsyncPubSubManager)):
        server.manager_initialized = True
        manager.initialize()


def _check_enabled_flag(enabled: Any) -> bool:
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, not {type(enabled).__name__}")
    return enabled


def _check_sid(sid: Any) -> str:
    if not isinstance(sid, str):
        raise TypeError(f"sid must be a str, not {type(sid).__name__}")
    return sid


# ---- socketio.Server ---------------------------------------------------


def enable_history(
    self: Any,
    room: str,
    namespace: str | None = "/",
    max_entries: int = 100,
    retention_seconds: float | None = None,
    payload_size_cap: int | None = None,
    max_bytes: int | None = None,
    enabled: bool = True,
) -> None:
    """Record the emits to ``room`` from now on (or reconfigure it in place).

    :param room: the room's name.
    :param namespace: the Socket.IO namespace (``None`` means ``"/"``).
    :param max_entries: most entries kept (≥ 1); the oldest go first.
    :param retention_seconds: oldest age kept; ``None`` or ``0`` for no expiry.
    :param payload_size_cap: default cap for reads (bytes); reads may override.
    :param max_bytes: most payload bytes kept; ``None`` for no byte bound.
    :param enabled: ``False`` is the same as :func:`disable_history`.

    Enabling an enabled room keeps its entries and ``seq``; tighter bounds
    evict the oldest at once. Raises ``TypeError``/``ValueError`` on bad
    arguments, changing nothing. With a message queue (``RedisManager`` and
    the like) it also starts the server's queue listener, so the node records
    what other nodes emit even before its first client connects.
    """
    if not _check_enabled_flag(enabled):
        _store(self).disable(room, namespace)
        return
    _store(self).enable(
        room, namespace, max_entries, retention_seconds, payload_size_cap, max_bytes
    )
    _listen_to_the_queue(self)


def disable_history(self: Any, room: str, namespace: str | None = "/") -> None:
    """Stop recording ``room`` and free its history. Enabling it again starts
    fresh: no entries, ``seq`` from 1, a new ``epoch``."""
    _store(self).disable(room, namespace)


def get_history(
    self: Any,
    room: str,
    limit: int | None = None,
    namespace: str | None = "/",
    include_events: Events = None,
    exclude_events: Events = None,
    payload_size_cap: int | None = None,
    since_seq: int | None = None,
    before_seq: int | None = None,
) -> list[Entry]:
    """The room's recorded emits, oldest to newest.

    Each entry is ``{"event", "data", "timestamp", "seq", "truncated"}``.
    In order: expired entries are dropped; ``since_seq`` < seq <
    ``before_seq``; ``include_events`` are kept, then ``exclude_events``
    dropped (a str or an iterable of str); the newest ``limit`` are kept;
    payloads over ``payload_size_cap`` bytes are cut in the returned copies.
    A room without history returns ``[]``.
    """
    return _store(self).fetch(
        room,
        limit,
        namespace,
        include_events,
        exclude_events,
        payload_size_cap,
        since_seq,
        before_seq,
    )


def get_history_page(
    self: Any,
    room: str,
    limit: int | None = None,
    namespace: str | None = "/",
    include_events: Events = None,
    exclude_events: Events = None,
    payload_size_cap: int | None = None,
    since_seq: int | None = None,
    before_seq: int | None = None,
    epoch: str | None = None,
) -> Page:
    """Like :func:`get_history`, for a client resuming from a cursor.

    Returns ``{"entries", "epoch", "first_seq", "last_seq", "has_more",
    "gap"}``. ``gap`` is true when the cursor cannot be served whole (entries
    after ``since_seq`` are gone, ``since_seq`` is ahead of ``last_seq``, or
    ``epoch`` is not the room's current one): the client should resync.
    ``has_more`` is true when older selected entries exist beyond ``limit``.
    """
    return _store(self).page(
        room,
        limit,
        namespace,
        include_events,
        exclude_events,
        payload_size_cap,
        since_seq,
        before_seq,
        epoch,
    )


def get_history_stats(self: Any, room: str, namespace: str | None = "/") -> Stats:
    """Counters and configuration of the room's history (zeros and
    ``enabled: False`` when it has none)."""
    return _store(self).stats(room, namespace)


def clear_history(self: Any, room: str, namespace: str | None = "/") -> int:
    """Drop the room's entries; it stays enabled and its ``seq`` goes on.
    Returns how many entries were dropped."""
    return _store(self).clear(room, namespace)


def _replay_entries(
    self: Any,
    sid: Any,
    room: str,
    limit: int | None,
    namespace: str | None,
    since_seq: int | None,
    include_events: Events,
    exclude_events: Events,
) -> list[Entry]:
    _check_sid(sid)
    # Replays send whole payloads, whatever the room's default read cap.
    return _store(self).fetch(
        room, limit, namespace, include_events, exclude_events, 2**63, since_seq, None
    )


def replay_history(
    self: Any,
    sid: str,
    room: str,
    limit: int | None = None,
    namespace: str | None = "/",
    since_seq: int | None = None,
    include_events: Events = None,
    exclude_events: Events = None,
) -> int:
    """Re-emit the room's selected entries to one client, in order, as the
    original events with their original arguments. Returns how many were sent."""
    entries = _replay_entries(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events
    )
    for e in entries:
        self.emit(e["event"], e["data"], to=sid, namespace=namespace or "/")
    return len(entries)


# ---- socketio.AsyncServer: the same, as coroutines ---------------------


async def enable_history_async(
    self: Any,
    room: str,
    namespace: str | None = "/",
    max_entries: int = 100,
    retention_seconds: float | None = None,
    payload_size_cap: int | None = None,
    max_bytes: int | None = None,
    enabled: bool = True,
) -> None:
    enable_history(
        self, room, namespace, max_entries, retention_seconds, payload_size_cap, max_bytes, enabled
    )


async def disable_history_async(self: Any, room: str, namespace: str | None = "/") -> None:
    disable_history(self, room, namespace)


async def get_history_async(
    self: Any,
    room: str,
    limit: int | None = None,
    namespace: str | None = "/",
    include_events: Events = None,
    exclude_events: Events = None,
    payload_size_cap: int | None = None,
    since_seq: int | None = None,
    before_seq: int | None = None,
) -> list[Entry]:
    return get_history(
        self,
        room,
        limit,
        namespace,
        include_events,
        exclude_events,
        payload_size_cap,
        since_seq,
        before_seq,
    )


async def get_history_page_async(
    self: Any,
    room: str,
    limit: int | None = None,
    namespace: str | None = "/",
    include_events: Events = None,
    exclude_events: Events = None,
    payload_size_cap: int | None = None,
    since_seq: int | None = None,
    before_seq: int | None = None,
    epoch: str | None = None,
) -> Page:
    return get_history_page(
        self,
        room,
        limit,
        namespace,
        include_events,
        exclude_events,
        payload_size_cap,
        since_seq,
        before_seq,
        epoch,
    )


async def get_history_stats_async(self: Any, room: str, namespace: str | None = "/") -> Stats:
    return get_history_stats(self, room, namespace)


async def clear_history_async(self: Any, room: str, namespace: str | None = "/") -> int:
    return clear_history(self, room, namespace)


async def replay_history_async(
    self: Any,
    sid: str,
    room: str,
    limit: int | None = None,
    namespace: str | None = "/",
    since_seq: int | None = None,
    include_events: Events = None,
    exclude_events: Events = None,
) -> int:
    entries = _replay_entries(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events
    )
    for e in entries:
        await self.emit(e["event"], e["data"], to=sid, namespace=namespace or "/")
    return len(entries)


_SYNC = {
    "enable_history": enable_history,
    "disable_history": disable_history,
    "get_history": get_history,
    "get_history_page": get_history_page,
    "get_history_stats": get_history_stats,
    "clear_history": clear_history,
    "replay_history": replay_history,
}

_ASYNC = {
    "enable_history": enable_history_async,
    "disable_history": disable_history_async,
    "get_history": get_history_async,
    "get_history_page": get_history_page_async,
    "get_history_stats": get_history_stats_async,
    "clear_history": clear_history_async,
    "replay_history": replay_history_async,
}

# The async methods carry the sync ones' documentation.
for _name, _fn in _ASYNC.items():
    _fn.__doc__ = (_SYNC[_name].__doc__ or "") + "\n\n    Note: this method is a coroutine.\n"
    _fn.__name__ = _fn.__qualname__ = _name


def install() -> None:
    """Add the history methods to ``socketio.Server`` and ``socketio.AsyncServer``.
    Calling it again changes nothing.

    The managers' ``emit`` is hooked only when a server first uses history:
    a process that never does (the start-up hook imports this package into
    every python-socketio app) pays nothing per emit."""
    for cls, methods in ((socketio.Server, _SYNC), (socketio.AsyncServer, _ASYNC)):
        for name, fn in methods.items():
            setattr(cls, name, fn)
        cls.history = _history


_hook_lock = threading.Lock()


def _hook_emit() -> None:
    """Wrap ``Manager.emit`` and ``AsyncManager.emit`` once per process."""
    with _hook_lock:
        for cls, wrap in (
            (socketio.Manager, _wrap_sync_emit),
            (socketio.AsyncManager, _wrap_async_emit),
        ):
            if not getattr(cls.emit, _PATCHED, False):
                cls.emit = wrap(cls.emit)

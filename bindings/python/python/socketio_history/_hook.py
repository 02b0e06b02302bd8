"""The emit hook: how what a server emits reaches its history store.

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
from typing import Any

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager
from socketio.pubsub_manager import PubSubManager

from ._native import HistoryStore

logger = logging.getLogger("socketio_history")

# Where a server keeps its store, and where its manager finds it. A manager
# without the key belongs to a server that never used history: the emit hook
# (installed once any server uses history) then costs one dict lookup.
_STORE = "_socketio_history_store"
_PATCHED = "_socketio_history_patched"


def store_of(server: Any) -> HistoryStore:
    """The server's store, created (and the emit hook installed) on first use."""
    store: HistoryStore | None = server.__dict__.get(_STORE)
    if store is None:
        _hook_emit()
        # setdefault keeps one store if two threads get here at once.
        store = server.__dict__.setdefault(_STORE, HistoryStore())
        server.manager.__dict__[_STORE] = store
    return store


def _set_store(server: Any, store: HistoryStore) -> None:
    if not isinstance(store, HistoryStore):
        raise TypeError(
            f"history must be a socketio_history.HistoryStore, not {type(store).__name__}"
        )
    _hook_emit()
    server.__dict__[_STORE] = store
    server.manager.__dict__[_STORE] = store


history_property = property(
    store_of,
    _set_store,
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
# They are twins on purpose: a shared helper would put another Python call
# on every emit.


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


def listen_to_the_queue(server: Any) -> None:
    """Start a message queue's listener now: python-socketio starts it on the
    first client connection, but a node with history must record what other
    nodes emit before any client of its own connects.

    The server is marked initialized only once the listener started, so a
    start that fails (the error propagates) is tried again by the next call
    or by python-socketio on the first connection."""
    manager = server.manager
    if server.manager_initialized or getattr(manager, "write_only", True):
        return
    if isinstance(manager, (PubSubManager, AsyncPubSubManager)):
        manager.initialize()
        server.manager_initialized = True

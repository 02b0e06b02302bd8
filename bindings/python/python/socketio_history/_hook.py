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

import asyncio
import contextlib
import functools
import logging
import threading
from typing import Any

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager
from socketio.pubsub_manager import PubSubManager

from ._native import HistoryStore
from ._ops import OP, PendingOp, apply_remote, wrap_handle_emit

logger = logging.getLogger("socketio_history")

# Where a server keeps its store, and where its manager finds it. A manager
# without the key belongs to a server that never used history: the emit hook
# (installed once any server uses history) then costs one dict lookup.
_STORE = "_socketio_history_store"
_PATCHED = "_socketio_history_patched"
# The server's delivery lock (see `delivery_lock`) and its recovery state
# (see `_recovery.py`), kept on the server and its manager alike.
_LOCK = "_socketio_history_lock"
_RECOVERY = "_socketio_history_recovery"
# Where a manager keeps, per (namespace, sid, room) of a room with history,
# the room's last seq when the client joined: what a replay to it ends at.
_JOINED = "_socketio_history_joined"
# Guards installing the hook and attaching stores.
_hook_lock = threading.Lock()


def store_of(server: Any) -> HistoryStore:
    """The server's store, created (and the emit hook installed) on first use."""
    store: HistoryStore | None = server.__dict__.get(_STORE)
    return store if store is not None else _attach(server, None)


def delivery_lock(server: Any) -> Any:
    """The lock a history server's emits hold from recording to delivery, so
    a replay (or a restore) taking it meets live traffic at an exact
    boundary, and offsets reach every client in order. A ``threading.RLock``
    for ``socketio.Server``, an ``asyncio.Lock`` for ``AsyncServer``."""
    store_of(server)
    return server.__dict__[_LOCK]


def _attach(server: Any, store: HistoryStore | None) -> HistoryStore:
    """Give ``server`` (and its manager) ``store``, or its existing store or
    a new one for ``None``; install the emit hook."""
    _hook_emit()
    with _hook_lock:
        if _LOCK not in server.__dict__:
            is_async = isinstance(server, socketio.AsyncServer)
            lock = asyncio.Lock() if is_async else threading.RLock()
            server.__dict__[_LOCK] = server.manager.__dict__[_LOCK] = lock
        if store is None:
            store = server.__dict__.get(_STORE) or HistoryStore()
        server.__dict__[_STORE] = server.manager.__dict__[_STORE] = store
        server.manager.__dict__.setdefault(_JOINED, {})
        return store


def _set_store(server: Any, store: HistoryStore) -> None:
    if not isinstance(store, HistoryStore):
        raise TypeError(
            f"history must be a socketio_history.HistoryStore, not {type(store).__name__}"
        )
    _attach(server, store)


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


def _note_op(
    manager: Any,
    store: HistoryStore,
    op: Any,
    ns: str,
    target: Any,
    event: Any,
    data: Any,
    skip_sid: Any,
) -> tuple[Any, Any]:
    """An emit that carries an operation on a message (see ``_ops.py``):
    apply it if it came from another node, then log it for recovery. The
    room itself already holds it. Returns the data to send and the
    recovery state (``None``: off). An emit read back from a shared stream
    says itself how it is recorded (``_streams.StreamedEmit``)."""
    if not isinstance(op, PendingOp):
        return op.note(manager, store, ns, target, event, data, skip_sid)  # type: ignore[no-any-return]
    if not op.applied:
        try:
            apply_remote(store, ns, op, event, data)
        except BaseException as e:  # history never breaks an emit
            _record_failed(e, event, target, ns)
    rec = manager.__dict__.get(_RECOVERY)
    if rec is not None:
        data = rec.record(ns, target, event, data, skip_sid, message=op.key)
    return data, rec


# What the wrappers receive for an argument their caller did not pass.
_UNSET: Any = object()


def _call(
    original: Any,
    self: Any,
    event: Any,
    data: Any,
    namespace: Any,
    room: Any,
    skip_sid: Any,
    callback: Any,
    to: Any,
    ignore_queue: Any,
    kwargs: Any,
) -> Any:
    """Call ``original`` as the wrapper was called (the wrappers inline this
    on their hot paths)."""
    if kwargs or to is not None:
        if to is not None:
            kwargs["to"] = to
        if ignore_queue is not _UNSET:
            kwargs["ignore_queue"] = ignore_queue
        return original(self, event, data, namespace, room, skip_sid, callback, **kwargs)
    if ignore_queue is _UNSET:
        return original(self, event, data, namespace, room, skip_sid, callback)
    return original(
        self, event, data, namespace, room, skip_sid, callback, ignore_queue=ignore_queue
    )


# The wrappers spell out Manager.emit's own signature, plus `ignore_queue`,
# which socketio.Server.emit passes on every emit (PubSubManager.emit takes
# it, Manager.emit's **kwargs swallows it): forwarding a **kwargs dict costs
# more than the rest of the hook, so the common call (no `to`, no other
# keyword) is forwarded without one. `to` and `ignore_queue` are passed on
# only when given, for python-socketio releases whose Manager.emit predates
# them. The wrappers are twins on purpose: a shared helper would put another
# Python call on every emit.


def _wrap_sync_emit(original: Any) -> Any:
    @functools.wraps(original)
    def emit(  # noqa: PLR0911, PLR0912 (inlined forwarding, see above)
        self: Any,
        event: Any,
        data: Any,
        namespace: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        ignore_queue: Any = _UNSET,
        **kwargs: Any,
    ) -> Any:
        store = self.__dict__.get(_STORE)
        if store is None:
            if kwargs or to is not None:
                return _call(
                    original, self, event, data, namespace, room, skip_sid, callback, to,
                    ignore_queue, kwargs,
                )  # fmt: skip
            if ignore_queue is _UNSET:
                return original(self, event, data, namespace, room, skip_sid, callback)
            return original(
                self, event, data, namespace, room, skip_sid, callback, ignore_queue=ignore_queue
            )
        op = OP.get()
        if op is not None and op.manager is self:
            # The lock is re-entrant: a local operation's caller holds it.
            with self.__dict__[_LOCK]:
                data, rec = _note_op(
                    self, store, op, namespace or "/", to or room, event, data, skip_sid
                )
                try:
                    return _call(
                        original, self, event, data, namespace, room, skip_sid, callback, to,
                        ignore_queue, kwargs,
                    )  # fmt: skip
                finally:
                    if rec is not None:
                        rec.sending = None
        with self.__dict__[_LOCK]:
            rec = self.__dict__.get(_RECOVERY)
            if rec is not None and callback is None:
                data = rec.record(namespace or "/", to or room, event, data, skip_sid)
            elif (to or room) is not None:
                try:
                    store._record_emit(namespace or "/", to or room, event, data, skip_sid)
                except BaseException as e:
                    _record_failed(e, event, to or room, namespace)
            try:
                if kwargs or to is not None:
                    return _call(
                        original, self, event, data, namespace, room, skip_sid, callback, to,
                        ignore_queue, kwargs,
                    )  # fmt: skip
                if ignore_queue is _UNSET:
                    return original(self, event, data, namespace, room, skip_sid, callback)
                return original(
                    self, event, data, namespace, room, skip_sid, callback,
                    ignore_queue=ignore_queue,
                )  # fmt: skip
            finally:
                if rec is not None:
                    rec.sending = None

    emit.__dict__[_PATCHED] = True
    return emit


def _wrap_async_emit(original: Any) -> Any:
    @functools.wraps(original)
    async def emit(  # noqa: PLR0911, PLR0912 (inlined forwarding, see above)
        self: Any,
        event: Any,
        data: Any,
        namespace: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        ignore_queue: Any = _UNSET,
        **kwargs: Any,
    ) -> Any:
        store = self.__dict__.get(_STORE)
        if store is None:
            if kwargs or to is not None:
                return await _call(
                    original, self, event, data, namespace, room, skip_sid, callback, to,
                    ignore_queue, kwargs,
                )  # fmt: skip
            if ignore_queue is _UNSET:
                return await original(self, event, data, namespace, room, skip_sid, callback)
            return await original(
                self, event, data, namespace, room, skip_sid, callback, ignore_queue=ignore_queue
            )
        op = OP.get()
        if op is not None and op.manager is self:
            # A local operation's caller holds the (not re-entrant) lock.
            async with contextlib.nullcontext() if op.applied else self.__dict__[_LOCK]:
                data, rec = _note_op(
                    self, store, op, namespace or "/", to or room, event, data, skip_sid
                )
                try:
                    return await _call(
                        original, self, event, data, namespace, room, skip_sid, callback, to,
                        ignore_queue, kwargs,
                    )  # fmt: skip
                finally:
                    if rec is not None:
                        rec.sending = None
        async with self.__dict__[_LOCK]:
            rec = self.__dict__.get(_RECOVERY)
            if rec is not None and callback is None:
                data = rec.record(namespace or "/", to or room, event, data, skip_sid)
            elif (to or room) is not None:
                try:
                    store._record_emit(namespace or "/", to or room, event, data, skip_sid)
                except BaseException as e:
                    _record_failed(e, event, to or room, namespace)
            try:
                if kwargs or to is not None:
                    return await _call(
                        original, self, event, data, namespace, room, skip_sid, callback, to,
                        ignore_queue, kwargs,
                    )  # fmt: skip
                if ignore_queue is _UNSET:
                    return await original(self, event, data, namespace, room, skip_sid, callback)
                return await original(
                    self, event, data, namespace, room, skip_sid, callback,
                    ignore_queue=ignore_queue,
                )  # fmt: skip
            finally:
                if rec is not None:
                    rec.sending = None

    emit.__dict__[_PATCHED] = True
    return emit


def _wrap_enter_room(original: Any) -> Any:
    @functools.wraps(original)
    def basic_enter_room(
        self: Any, sid: Any, namespace: Any, room: Any, eio_sid: Any = None
    ) -> Any:
        store = self.__dict__.get(_STORE)
        if store is None or not isinstance(room, str) or room == sid:
            return original(self, sid, namespace, room, eio_sid=eio_sid)
        lock = self.__dict__[_LOCK]
        # A thread's emit records and delivers under the lock: joining under
        # it too makes "recorded before the join" exact. (An event loop runs
        # no emit in between.)
        with lock if isinstance(lock, _THREAD_LOCK) else contextlib.nullcontext():
            result = original(self, sid, namespace, room, eio_sid=eio_sid)
            last = store._last_seq(room, namespace)
            if last is not None:
                self.__dict__[_JOINED][(namespace, sid, room)] = last
        return result

    basic_enter_room.__dict__[_PATCHED] = True
    return basic_enter_room


def _wrap_leave_room(original: Any) -> Any:
    @functools.wraps(original)
    def basic_leave_room(self: Any, sid: Any, namespace: Any, room: Any) -> Any:
        joined = self.__dict__.get(_JOINED)
        if joined:
            joined.pop((namespace, sid, room), None)
        return original(self, sid, namespace, room)

    basic_leave_room.__dict__[_PATCHED] = True
    return basic_leave_room


def joined_at(server: Any, namespace: str, sid: str, room: str) -> int | None:
    """The room's last seq when ``sid`` joined it (``None``: unknown)."""
    joined: dict[Any, int] = server.manager.__dict__.get(_JOINED, {})
    return joined.get((namespace, sid, room))


_THREAD_LOCK = type(threading.RLock())


def _hook_emit() -> None:
    """Wrap ``Manager.emit`` and ``AsyncManager.emit`` (and the managers'
    room bookkeeping) once per process."""
    with _hook_lock:
        for cls, wrap in (
            (socketio.Manager, _wrap_sync_emit),
            (socketio.AsyncManager, _wrap_async_emit),
        ):
            if not getattr(cls.emit, _PATCHED, False):
                cls.emit = wrap(cls.emit)
        for pubsub, is_async in ((PubSubManager, False), (AsyncPubSubManager, True)):
            if not getattr(pubsub._handle_emit, _PATCHED, False):
                wrapped = wrap_handle_emit(pubsub._handle_emit, is_async)
                wrapped.__dict__[_PATCHED] = True
                pubsub._handle_emit = wrapped
        base = socketio.base_manager.BaseManager
        if not getattr(base.basic_enter_room, _PATCHED, False):
            base.basic_enter_room = _wrap_enter_room(base.basic_enter_room)
            base.basic_leave_room = _wrap_leave_room(base.basic_leave_room)


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

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

import contextlib
import functools
import threading
from typing import TYPE_CHECKING, Any

from socketio.async_manager import AsyncManager
from socketio.async_pubsub_manager import AsyncPubSubManager
from socketio.base_manager import BaseManager
from socketio.manager import Manager
from socketio.pubsub_manager import PubSubManager

from ._log import record_failed
from ._ops import OP, wrap_handle_emit
from ._patch import hook

if TYPE_CHECKING:
    from ._state import ServerState

# Where a server and its manager keep their `_state.ServerState`.
STATE_KEY = "_socketio_history"

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
        state: ServerState | None = self.__dict__.get(STATE_KEY)
        if state is None:
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
            with state.lock:
                data, rec = op.note(state, namespace or "/", to or room, event, data, skip_sid)
                try:
                    return _call(
                        original, self, event, data, namespace, room, skip_sid, callback, to,
                        ignore_queue, kwargs,
                    )  # fmt: skip
                finally:
                    if rec is not None:
                        rec.sending = None
        with state.lock:
            rec = state.recovery
            if rec is not None and callback is None:
                data = rec.record(namespace or "/", to or room, event, data, skip_sid)
            elif (to or room) is not None:
                try:
                    state.recorder.record_emit(namespace or "/", to or room, event, data, skip_sid)
                except BaseException as e:
                    record_failed(e, event, to or room, namespace)
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
        state: ServerState | None = self.__dict__.get(STATE_KEY)
        if state is None:
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
            async with contextlib.nullcontext() if op.applied else state.lock:
                data, rec = op.note(state, namespace or "/", to or room, event, data, skip_sid)
                try:
                    return await _call(
                        original, self, event, data, namespace, room, skip_sid, callback, to,
                        ignore_queue, kwargs,
                    )  # fmt: skip
                finally:
                    if rec is not None:
                        rec.sending = None
        async with state.lock:
            rec = state.recovery
            if rec is not None and callback is None:
                data = rec.record(namespace or "/", to or room, event, data, skip_sid)
            elif (to or room) is not None:
                try:
                    state.recorder.record_emit(namespace or "/", to or room, event, data, skip_sid)
                except BaseException as e:
                    record_failed(e, event, to or room, namespace)
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

    return emit


def _wrap_enter_room(original: Any) -> Any:
    @functools.wraps(original)
    def basic_enter_room(
        self: Any, sid: Any, namespace: Any, room: Any, eio_sid: Any = None
    ) -> Any:
        state: ServerState | None = self.__dict__.get(STATE_KEY)
        if state is None or not isinstance(room, str) or room == sid:
            return original(self, sid, namespace, room, eio_sid=eio_sid)
        # A thread's emit records and delivers under the lock: joining under
        # it too makes "recorded before the join" exact. (An event loop runs
        # no emit in between.)
        lock = state.lock
        with lock if isinstance(lock, _THREAD_LOCK) else contextlib.nullcontext():
            result = original(self, sid, namespace, room, eio_sid=eio_sid)
            last = state.recorder.last_seq(room, namespace)
            if last is not None:
                state.joined[(namespace, sid, room)] = last
        if state.recovery is not None:
            state.recovery.changed(namespace, sid)
        return result

    return basic_enter_room


def _wrap_leave_room(original: Any) -> Any:
    @functools.wraps(original)
    def basic_leave_room(self: Any, sid: Any, namespace: Any, room: Any) -> Any:
        state: ServerState | None = self.__dict__.get(STATE_KEY)
        if state is None:
            return original(self, sid, namespace, room)
        if state.joined:
            state.joined.pop((namespace, sid, room), None)
        result = original(self, sid, namespace, room)
        if state.recovery is not None:
            state.recovery.changed(namespace, sid)
        return result

    return basic_leave_room


_THREAD_LOCK = type(threading.RLock())


def install_emit_hook() -> None:
    """Wrap the managers' ``emit`` (and their room bookkeeping, and the
    message queues' ``_handle_emit``) once per process."""
    hook(Manager, "emit", _wrap_sync_emit)
    hook(AsyncManager, "emit", _wrap_async_emit)
    hook(PubSubManager, "_handle_emit", lambda f: wrap_handle_emit(f, is_async=False))
    hook(AsyncPubSubManager, "_handle_emit", lambda f: wrap_handle_emit(f, is_async=True))
    hook(BaseManager, "basic_enter_room", _wrap_enter_room)
    hook(BaseManager, "basic_leave_room", _wrap_leave_room)


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

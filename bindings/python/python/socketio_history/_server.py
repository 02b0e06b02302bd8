"""The history methods of ``socketio.Server`` and ``socketio.AsyncServer``.

Each method translates its arguments for the server's store (see
``_hook.py`` for how emits get recorded); the async twins of the methods
that do no I/O are generated from the sync ones, keeping their signatures
and documentation.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Concatenate, ParamSpec, TypeVar

import socketio

from . import _client, _messages, _recovery, _recovery_hooks, _wire
from ._compat import rooms_of
from ._hook import STATE_KEY, listen_to_the_queue
from ._native import (
    DEFAULT_MAX_APPENDS,
    DEFAULT_MAX_ENTRIES,
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_OPEN_STREAMS,
    DEFAULT_MUTATION_PREFIX,
)
from ._state import delivery_lock, history_property, state_of, store_of
from ._types import Entry, Page, Stats

Events = str | Iterable[str] | None

_P = ParamSpec("_P")
_R = TypeVar("_R")


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
    max_entries: int = DEFAULT_MAX_ENTRIES,
    retention_seconds: float | None = None,
    payload_size_cap: int | None = None,
    max_bytes: int | None = None,
    enabled: bool = True,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    max_appends: int = DEFAULT_MAX_APPENDS,
    max_open_streams: int = DEFAULT_MAX_OPEN_STREAMS,
    mutation_prefix: str = DEFAULT_MUTATION_PREFIX,
) -> None:
    """Record the emits to ``room`` from now on (or reconfigure it in place).

    :param room: the room's name.
    :param namespace: the Socket.IO namespace (``None`` means ``"/"``).
    :param max_entries: most entries kept (≥ 1); the oldest go first.
    :param retention_seconds: oldest age kept; ``None`` or ``0`` for no expiry.
    :param payload_size_cap: default cap for reads (bytes); reads may override.
    :param max_bytes: most payload bytes kept; ``None`` for no byte bound.
    :param enabled: ``False`` is the same as :func:`disable_history`.
    :param max_message_bytes: largest data of one mutable message (streamed
        text accumulated).
    :param max_appends: most appends to one message.
    :param max_open_streams: most messages appended to and not final yet.
    :param mutation_prefix: what mutation events begin with
        (``"history:update"``, ``"history:delete"``, ``"history:append"``).

    Enabling an enabled room keeps its entries and ``seq``; tighter bounds
    evict the oldest at once. Raises ``TypeError``/``ValueError`` on bad
    arguments, changing nothing. With a message queue (``RedisManager`` and
    the like) it first starts the server's queue listener, so the node records
    what other nodes emit even before its first client connects; if that
    start fails, its error is raised and the room is left as it was.
    """
    if not _check_enabled_flag(enabled):
        store_of(self).disable(room, namespace)
        return
    listen_to_the_queue(self)
    store = store_of(self)

    def enable() -> None:
        store.enable(
            room,
            namespace,
            max_entries,
            retention_seconds,
            payload_size_cap,
            max_bytes,
            max_message_bytes,
            max_appends,
            max_open_streams,
            mutation_prefix,
        )

    # A streams manager names the room for the cluster and back-fills it
    # (a coroutine for the async one, awaited by the AsyncServer twin).
    streams = getattr(self.manager, "history_enabled", None)
    if streams is not None:
        return streams(room, namespace or "/", enable)  # type: ignore[no-any-return]
    enable()
    return None


def disable_history(self: Any, room: str, namespace: str | None = "/") -> None:
    """Stop recording ``room`` and free its history. Enabling it again starts
    fresh: no entries, ``seq`` from 1, a new ``epoch``."""
    store_of(self).disable(room, namespace)


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
    view: str = "log",
    since_time: float | None = None,
    until_time: float | None = None,
) -> list[Entry]:
    """The room's recorded emits, oldest to newest.

    Each entry is ``{"event", "data", "timestamp", "seq", "truncated",
    "action", "message_id", "version", "redacted"}`` (``message_id`` and
    ``version`` are ``None`` for a plain emit). ``view="latest"`` shows each
    mutable message once, at its create's place, in its latest state
    (deleted ones with ``"deleted": True``); ``limit`` counts what is
    returned.
    In order: expired entries are dropped; ``since_seq`` < seq <
    ``before_seq``; ``include_events`` are kept, then ``exclude_events``
    dropped (a str or an iterable of str); the newest ``limit`` are kept;
    payloads over ``payload_size_cap`` bytes are cut in the returned copies.
    A room without history returns ``[]``.
    """
    return store_of(self).fetch(
        room,
        limit,
        namespace,
        include_events,
        exclude_events,
        payload_size_cap,
        since_seq,
        before_seq,
        view,
        since_time,
        until_time,
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
    view: str = "log",
    since_time: float | None = None,
    until_time: float | None = None,
) -> Page:
    """Like :func:`get_history`, for a client resuming from a cursor.

    Returns ``{"entries", "epoch", "first_seq", "last_seq", "has_more",
    "gap"}``. ``gap`` is true when the cursor cannot be served whole (entries
    after ``since_seq`` are gone, ``since_seq`` is ahead of ``last_seq``, or
    ``epoch`` is not the room's current one): the client should resync.
    ``has_more`` is true when older selected entries exist beyond ``limit``.
    """
    return store_of(self).page(
        room,
        limit,
        namespace,
        include_events,
        exclude_events,
        payload_size_cap,
        since_seq,
        before_seq,
        epoch,
        view,
        since_time,
        until_time,
    )


def get_history_stats(self: Any, room: str, namespace: str | None = "/") -> Stats:
    """Counters and configuration of the room's history (zeros and
    ``enabled: False`` when it has none)."""
    return store_of(self).stats(room, namespace)


def clear_history(self: Any, room: str, namespace: str | None = "/") -> int:
    """Drop the room's entries; it stays enabled and its ``seq`` goes on.
    Returns how many entries were dropped."""
    return store_of(self).clear(room, namespace)


def _replay_messages(
    self: Any,
    sid: Any,
    room: str,
    limit: int | None,
    namespace: str | None,
    since_seq: int | None,
    include_events: Events,
    exclude_events: Events,
) -> tuple[str | None, int, list[_wire.Message]]:
    """The connection to replay to (``None``: not connected), how many
    entries it is sent (the selected entries addressed to it, ``skip_sid``
    re-applied) and their Engine.IO messages. With recovery on, each is
    logged like any emit to ``sid``, carries its offset, and is noted as
    sent to the client (the caller sends them, under the delivery lock)."""
    _check_sid(sid)
    ns = namespace or "/"
    eio_sid = self.manager.eio_sid_from_sid(sid, ns)
    member_of = rooms_of(self.manager, sid, ns)
    state = state_of(self)
    joined = state.joined.get((ns, sid, room)) if isinstance(room, str) else None
    rec = state.recovery if eio_sid is not None else None
    if rec is not None:
        rec.ensure_log(ns)
    member_of = [*member_of, sid]
    if _wire.native(self):
        count, messages, offsets = state.replayer.packets(
            room,
            sid,
            limit,
            namespace,
            include_events,
            exclude_events,
            since_seq,
            member_of,
            joined,
            rec is not None,
        )
    else:
        entries = state.replayer.entries(
            room, limit, namespace, include_events, exclude_events, since_seq, member_of, joined
        )
        count, events, offsets = len(entries), [], []
        for e in entries:
            data: Any = e["data"]
            if rec is not None:
                data = rec.record(ns, sid, e["event"], data, None)
                if rec.sending is not None and rec.offset is not None:
                    offsets.append(rec.offset)
                rec.sending = None
            events.append((e["event"], _recovery.emit_args(data)))
        messages = _wire.encoded(self, ns, events)
    if eio_sid is None:
        return None, 0, []
    if rec is not None:
        rec.note_sent_all(ns, eio_sid, offsets)
    return eio_sid, count, messages


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
    """Re-emit the room's selected entries to one connected client, in order,
    as the original events with their original arguments (whole payloads,
    whatever the room's read cap); entries whose emit skipped the client are
    left out. A mutable message is sent once, at its place, as its event with
    its latest event name and data (an answer being streamed: its text so
    far; the appends that follow reach the client live); deleted ones are
    left out. Returns how many were sent (0 when ``sid`` is not connected).

    The replay is exact at its boundary with live traffic: it sends what was
    recorded before the client joined the room (what came after reached it
    live), and an emit made while it runs reaches the client after the
    replayed entries, once. Call it right after ``enter_room``: an emit in
    between reaches the client before the replay (still once), which
    :func:`enter_room_with_history` avoids."""
    return _send_replay(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events, False
    )


def _send_replay(
    self: Any,
    sid: Any,
    room: str,
    limit: int | None,
    namespace: str | None,
    since_seq: int | None,
    include_events: Events,
    exclude_events: Events,
    enter: bool,
) -> int:
    """Under the delivery lock: (with ``enter``, join the room first, so no
    live emit comes between) read the replay and send it."""
    with delivery_lock(self):
        if enter:
            self.enter_room(sid, room, namespace=namespace)
        eio_sid, count, messages = _replay_messages(
            self, sid, room, limit, namespace, since_seq, include_events, exclude_events
        )
        if eio_sid is not None:
            _wire.send(self, eio_sid, messages)
    return count


async def _send_replay_async(
    self: Any,
    sid: Any,
    room: str,
    limit: int | None,
    namespace: str | None,
    since_seq: int | None,
    include_events: Events,
    exclude_events: Events,
    enter: bool,
) -> int:
    async with delivery_lock(self):
        if enter:
            await self.enter_room(sid, room, namespace=namespace)
        eio_sid, count, messages = _replay_messages(
            self, sid, room, limit, namespace, since_seq, include_events, exclude_events
        )
        if eio_sid is not None:
            await _wire.send_async(self, eio_sid, messages)
    return count


def _check_entering(
    self: Any,
    sid: Any,
    room: Any,
    namespace: str | None,
    limit: int | None,
    since_seq: int | None,
    include_events: Events,
    exclude_events: Events,
) -> bool:
    """Check ``enter_room_with_history``'s arguments before anything
    changes (a read that selects nothing checks them in the core); whether
    ``sid`` is connected to the namespace."""
    _check_sid(sid)
    if not isinstance(room, str):
        raise TypeError(f"room must be a str, not {type(room).__name__}")
    state_of(self).replayer.entries(
        room, limit, namespace, include_events, exclude_events, since_seq, [], 0
    )
    return bool(self.manager.is_connected(sid, namespace or "/"))


def enter_room_with_history(
    self: Any,
    sid: str,
    room: str,
    namespace: str | None = "/",
    limit: int | None = None,
    since_seq: int | None = None,
    include_events: Events = None,
    exclude_events: Events = None,
) -> int:
    """Put ``sid`` in ``room`` and send it the room's history, in one step:
    ``enter_room`` and ``replay_history`` under the server's delivery lock,
    so no live emit can reach the client between the join and the replay.
    The client gets the selected entries recorded before it joined, then
    every later emit, each once and in order. Returns how many entries were
    sent; a client that is not connected to ``namespace`` is left alone (0).
    Raises ``TypeError``/``ValueError`` on bad arguments, changing nothing.
    """
    if not _check_entering(
        self, sid, room, namespace, limit, since_seq, include_events, exclude_events
    ):
        return 0
    return _send_replay(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events, True
    )


def enable_connection_state_recovery(
    self: Any, max_disconnection_duration: float = 120.0, max_buffer_bytes: int | None = None
) -> None:
    """Turn on Socket.IO's connection state recovery: a client that drops
    (and reconnects within ``max_disconnection_duration`` seconds) gets its
    sid, rooms and user session back, and every event it missed, in order,
    before its ``connect`` — stock Socket.IO clients (4.6+) need no code.

    Every event sent without an ack then carries an offset as its last
    argument (clients that do not speak the protocol see it as an extra
    argument). What dropped clients missed is kept in the server's history
    store, one log per namespace: younger than ``max_disconnection_duration``
    and at most ``max_buffer_bytes`` of payloads (``None``: 64 MiB), within
    the store's ``max_total_bytes``. Calling it again changes the bounds.
    Raises ``TypeError``/``ValueError`` on bad arguments, changing nothing.
    """
    duration = _recovery.check_settings(max_disconnection_duration, max_buffer_bytes)
    _recovery_hooks.enable(self, duration, max_buffer_bytes)


def disable_connection_state_recovery(self: Any) -> None:
    """Turn connection state recovery off: no more offsets, and the saved
    sessions and the missed-event logs are dropped."""
    _recovery_hooks.disable(self)


def is_recovered(self: Any, sid: str, namespace: str | None = "/") -> bool:
    """Whether the connection ``sid`` was restored by connection state
    recovery (its own sid, rooms and session, and the events it missed)
    rather than started afresh. Not a coroutine, on either server."""
    _check_sid(sid)
    rec = _recovery_hooks.recovery_of(self)
    return rec is not None and (namespace or "/", sid) in rec.recovered


def _open_sockets(server: Any) -> list[Any]:
    return [s for s in list(server.eio.sockets.values()) if not s.closed and not s.closing]


def _close_store(server: Any) -> None:
    state = server.__dict__.get(STATE_KEY)
    if state is not None:
        state.store.close()


# How long close_for_restart waits for queued emits to reach a stream.
FLUSH_SECONDS = 10.0


def close_for_restart(self: Any) -> int:
    """Before a planned stop (a deploy, a restart): close every client's
    transport as a lost one, so that with connection state recovery its
    session is kept and it reconnects at once, to the next process or
    another node, and is recovered there; then wait (up to
    ``FLUSH_SECONDS``) until a Redis Streams manager's queued emits are in
    the stream, and sync and close a durable history store (the next
    process can open it). Returns how many connections were closed. Call
    it from the server's shutdown hook (see the README, "Deploys and
    crashes"); emits made after it still reach the clients connected then,
    but a durable store no longer records them."""
    sockets = _open_sockets(self)
    for sock in sockets:
        sock.close(wait=False, reason=self.reason.TRANSPORT_CLOSE)
    flush = getattr(self.manager, "flush", None)
    if flush is not None:
        flush(timeout=FLUSH_SECONDS)
    _close_store(self)
    return len(sockets)


async def close_for_restart_async(self: Any) -> int:
    sockets = _open_sockets(self)
    for sock in sockets:
        await sock.close(wait=False, reason=self.reason.TRANSPORT_CLOSE)
        # What the sync Socket.close does and the async one leaves to the
        # next packet from the client: end the writer, which closes a
        # WebSocket (socket.io-client ignores a CLOSE packet there).
        await sock.queue.put(None)
    flush = getattr(self.manager, "flush", None)
    if flush is not None:
        await flush(timeout=FLUSH_SECONDS)
    _close_store(self)
    return len(sockets)


close_for_restart_async.__doc__ = (close_for_restart.__doc__ or "") + (
    "\n\n    Note: this method is a coroutine.\n"
)
close_for_restart_async.__name__ = close_for_restart_async.__qualname__ = "close_for_restart"


def recovery_failure(self: Any, sid: str, namespace: str | None = "/") -> str | None:
    """Why the connection ``sid`` was not recovered although its client
    asked to be (it reconnected with a ``pid``), or ``None``: it was
    recovered, did not ask, or recovery is off. Available from its connect
    handler on, so the application can log it and resync the client. The
    reasons: ``"unknown_pid"``, ``"malformed_pid"``, ``"expired"``,
    ``"used"``, ``"session_evicted"``, ``"still_connected"``,
    ``"other_epoch"``, ``"bad_offset"``, ``"offset_ahead"``, ``"evicted"``
    (docs/CONTRACT.md, "Connection state recovery"). Not a coroutine, on
    either server."""
    _check_sid(sid)
    rec = _recovery_hooks.recovery_of(self)
    return None if rec is None else rec.failure(namespace or "/", sid)


# ---- socketio.AsyncServer ----------------------------------------------


def _twin_doc(method: Callable[..., Any]) -> str:
    return (method.__doc__ or "") + "\n\n    Note: this method is a coroutine.\n"


def _coroutine(
    method: Callable[Concatenate[Any, _P], _R],
) -> Callable[Concatenate[Any, _P], Coroutine[Any, Any, _R]]:
    """The coroutine twin of a sync method that does no I/O: same signature
    (``inspect.signature`` follows ``__wrapped__``) and documentation."""

    async def twin(self: Any, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        result = method(self, *args, **kwargs)
        # A method whose manager does I/O (the async streams manager) hands
        # back the coroutine that does it.
        if inspect.isawaitable(result):
            return await result  # type: ignore[no-any-return]
        return result

    functools.update_wrapper(twin, method)
    twin.__doc__ = _twin_doc(method)
    return twin


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
    return await _send_replay_async(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events, False
    )


async def enter_room_with_history_async(
    self: Any,
    sid: str,
    room: str,
    namespace: str | None = "/",
    limit: int | None = None,
    since_seq: int | None = None,
    include_events: Events = None,
    exclude_events: Events = None,
) -> int:
    if not _check_entering(
        self, sid, room, namespace, limit, since_seq, include_events, exclude_events
    ):
        return 0
    return await _send_replay_async(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events, True
    )


replay_history_async.__doc__ = _twin_doc(replay_history)
enter_room_with_history_async.__doc__ = _twin_doc(enter_room_with_history)
enter_room_with_history_async.__name__ = "enter_room_with_history"
enter_room_with_history_async.__qualname__ = "enter_room_with_history"
replay_history_async.__name__ = replay_history_async.__qualname__ = "replay_history"

_SYNC: dict[str, Callable[..., Any]] = {
    "enable_history": enable_history,
    "disable_history": disable_history,
    "get_history": get_history,
    "get_history_page": get_history_page,
    "get_history_stats": get_history_stats,
    "clear_history": clear_history,
    "replay_history": replay_history,
    "enter_room_with_history": enter_room_with_history,
    "enable_connection_state_recovery": enable_connection_state_recovery,
    "disable_connection_state_recovery": disable_connection_state_recovery,
    "is_recovered": is_recovered,
    "recovery_failure": recovery_failure,
    "close_for_restart": close_for_restart,
    "create_message": _messages.create_message,
    "update_message": _messages.update_message,
    "delete_message": _messages.delete_message,
    "append_message": _messages.append_message,
    "get_message": _messages.get_message,
    "get_message_versions": _messages.get_message_versions,
}

_MUTATIONS_ASYNC: dict[str, Callable[..., Any]] = {
    "create_message": _messages.create_message_async,
    "update_message": _messages.update_message_async,
    "delete_message": _messages.delete_message_async,
    "append_message": _messages.append_message_async,
}

_ASYNC: dict[str, Callable[..., Any]] = {
    **{
        name: _coroutine(fn)
        for name, fn in _SYNC.items()
        if fn
        not in (
            replay_history,
            enter_room_with_history,
            is_recovered,
            recovery_failure,
            close_for_restart,
        )
        and name not in _MUTATIONS_ASYNC
    },
    **_MUTATIONS_ASYNC,
    "replay_history": replay_history_async,
    "enter_room_with_history": enter_room_with_history_async,
    "is_recovered": is_recovered,
    "recovery_failure": recovery_failure,
    "close_for_restart": close_for_restart_async,
}


def install() -> None:
    """Add the history methods to ``socketio.Server`` and ``socketio.AsyncServer``,
    and the client side of connection state recovery to ``socketio.Client``
    and ``socketio.AsyncClient``. Calling it again changes nothing.

    The managers' ``emit`` is hooked only when a server first uses history:
    a process that never does (the start-up hook imports this package into
    every python-socketio app) pays nothing per emit."""
    for cls, methods in ((socketio.Server, _SYNC), (socketio.AsyncServer, _ASYNC)):
        for name, fn in methods.items():
            setattr(cls, name, fn)
        cls.history = history_property
    _client.install()

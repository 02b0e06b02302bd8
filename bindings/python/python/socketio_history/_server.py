"""The history methods of ``socketio.Server`` and ``socketio.AsyncServer``.

Each method translates its arguments for the server's store (see
``_hook.py`` for how emits get recorded); the async twins of the methods
that do no I/O are generated from the sync ones, keeping their signatures
and documentation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Concatenate, ParamSpec, TypeVar

import socketio

from ._hook import history_property, listen_to_the_queue, store_of
from ._native import DEFAULT_MAX_ENTRIES
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
    the like) it first starts the server's queue listener, so the node records
    what other nodes emit even before its first client connects; if that
    start fails, its error is raised and the room is left as it was.
    """
    if not _check_enabled_flag(enabled):
        store_of(self).disable(room, namespace)
        return
    listen_to_the_queue(self)
    store_of(self).enable(
        room, namespace, max_entries, retention_seconds, payload_size_cap, max_bytes
    )


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
) -> list[Entry]:
    """The room's recorded emits, oldest to newest.

    Each entry is ``{"event", "data", "timestamp", "seq", "truncated"}``.
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
    )


def get_history_stats(self: Any, room: str, namespace: str | None = "/") -> Stats:
    """Counters and configuration of the room's history (zeros and
    ``enabled: False`` when it has none)."""
    return store_of(self).stats(room, namespace)


def clear_history(self: Any, room: str, namespace: str | None = "/") -> int:
    """Drop the room's entries; it stays enabled and its ``seq`` goes on.
    Returns how many entries were dropped."""
    return store_of(self).clear(room, namespace)


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
    return store_of(self)._replay_entries(
        room, limit, namespace, include_events, exclude_events, since_seq
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
    original events with their original arguments (whole payloads, whatever
    the room's read cap). Returns how many were sent."""
    entries = _replay_entries(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events
    )
    for e in entries:
        self.emit(e["event"], e["data"], to=sid, namespace=namespace or "/")
    return len(entries)


# ---- socketio.AsyncServer ----------------------------------------------


def _twin_doc(method: Callable[..., Any]) -> str:
    return (method.__doc__ or "") + "\n\n    Note: this method is a coroutine.\n"


def _coroutine(
    method: Callable[Concatenate[Any, _P], _R],
) -> Callable[Concatenate[Any, _P], Coroutine[Any, Any, _R]]:
    """The coroutine twin of a sync method that does no I/O: same signature
    (``inspect.signature`` follows ``__wrapped__``) and documentation."""

    async def twin(self: Any, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return method(self, *args, **kwargs)

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
    entries = _replay_entries(
        self, sid, room, limit, namespace, since_seq, include_events, exclude_events
    )
    for e in entries:
        await self.emit(e["event"], e["data"], to=sid, namespace=namespace or "/")
    return len(entries)


replay_history_async.__doc__ = _twin_doc(replay_history)
replay_history_async.__name__ = replay_history_async.__qualname__ = "replay_history"

_SYNC: dict[str, Callable[..., Any]] = {
    "enable_history": enable_history,
    "disable_history": disable_history,
    "get_history": get_history,
    "get_history_page": get_history_page,
    "get_history_stats": get_history_stats,
    "clear_history": clear_history,
    "replay_history": replay_history,
}

_ASYNC: dict[str, Callable[..., Any]] = {
    **{name: _coroutine(fn) for name, fn in _SYNC.items() if fn is not replay_history},
    "replay_history": replay_history_async,
}


def install() -> None:
    """Add the history methods to ``socketio.Server`` and ``socketio.AsyncServer``.
    Calling it again changes nothing.

    The managers' ``emit`` is hooked only when a server first uses history:
    a process that never does (the start-up hook imports this package into
    every python-socketio app) pays nothing per emit."""
    for cls, methods in ((socketio.Server, _SYNC), (socketio.AsyncServer, _ASYNC)):
        for name, fn in methods.items():
            setattr(cls, name, fn)
        cls.history = history_property

"""Mutable messages on ``socketio.Server`` and ``socketio.AsyncServer``.

Each operation is applied to the server's store (where every rule lives)
and then emitted to the room, under the server's delivery lock, so clients
receive operations in seq order. How the emit hook and a message queue
treat an emit that carries an operation is in ``_ops.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._native import CLEAR, DEFAULT_VERSIONS_LIMIT, KEEP, HistoryStore
from ._ops import OP, PendingOp
from ._state import delivery_lock, state_of, store_of
from ._types import Entry, Message, Mutation

# How long an operation through a Redis stream waits to be read back on its
# own node (Redis away): it then returns the checked result.
OP_WAIT_SECONDS = 10.0

# ---- the server methods --------------------------------------------------


def _applied(
    server: Any, room: str, ns: str, result: Mutation, owner: Any, data: Any
) -> tuple[PendingOp, str, Any]:
    """After ``result`` was applied: the pending operation the emit carries,
    and what is emitted (a create: its own event and data; a mutation: the
    room's mutation event with the result)."""
    wire: dict[str, Any] = {
        "v": 1,
        "action": result["action"],
        "room": room,
        "id": result["message_id"],
    }
    if owner is not None:
        wire["owner"] = owner
    op = PendingOp(room, result["message_id"], wire, manager=server.manager)
    if result["action"] == "create":
        return op, result["event"], data
    prefix = state_of(server).recorder.mutation_prefix(room, ns) or ""
    return op, prefix + result["action"], result


def _through_stream(server: Any) -> bool:
    """Whether operations go through a shared stream (the streams managers):
    this node then only checks one (``dry_run``) and hands it on; every
    node, this one included, applies it when it reads it back, in stream
    order, so seqs and versions agree everywhere."""
    return bool(getattr(server.manager, "through_stream", False))


def _apply(
    server: Any,
    room: str,
    namespace: str | None,
    call: Callable[[HistoryStore, str, bool], Mutation],
    owner: Any = None,
    data: Any = None,
) -> Mutation:
    """Apply ``call(store, namespace, dry_run)`` and emit it, under the
    delivery lock (with a streams manager: check it, emit it, and wait
    until this node applied it, so the caller's next operation on the
    message is checked against it)."""
    ns = namespace or "/"
    through = _through_stream(server)
    waiting = None
    with delivery_lock(server):
        result = call(store_of(server), ns, through)
        op, event, payload = _applied(server, room, ns, result, owner, data)
        if through and not server.manager.write_only:  # (no reader: nothing to wait for)
            waiting = server.manager.expect_op(op.wire)
        token = OP.set(op)
        try:
            server.emit(event, payload, to=room, namespace=ns)
        finally:
            OP.reset(token)
    if waiting is not None:  # outside the lock: the stream reader applies it
        applied = server.manager.wait_op(waiting, OP_WAIT_SECONDS)
        return applied if applied is not None else result
    return result


async def _apply_async(
    server: Any,
    room: str,
    namespace: str | None,
    call: Callable[[HistoryStore, str, bool], Mutation],
    owner: Any = None,
    data: Any = None,
) -> Mutation:
    ns = namespace or "/"
    through = _through_stream(server)
    waiting = None
    async with delivery_lock(server):
        result = call(store_of(server), ns, through)
        op, event, payload = _applied(server, room, ns, result, owner, data)
        if through and not server.manager.write_only:
            waiting = server.manager.expect_op(op.wire)
        token = OP.set(op)
        try:
            await server.emit(event, payload, to=room, namespace=ns)
        finally:
            OP.reset(token)
    if waiting is not None:
        applied = await server.manager.wait_op(waiting, OP_WAIT_SECONDS)
        return applied if applied is not None else result
    return result


def create_message(
    self: Any,
    room: str,
    event: str,
    data: Any,
    namespace: str | None = "/",
    message_id: str | None = None,
    owner: str | None = None,
) -> Mutation:
    """Emit ``event`` with ``data`` to ``room`` exactly like ``emit`` and
    record it as version 1 of a mutable message.

    :param message_id: 1 to 128 bytes without whitespace; ``None`` draws a
        random one. It travels with the message through a message queue.
    :param owner: who the message belongs to (for ``*_own`` grants).

    Returns ``{"message_id", "action", "version", "seq", "event", "data"}``.
    Raises ``HistoryNotEnabledError`` (the room has no history),
    ``InvalidMessageError`` (bad or used id), ``MessageTooLargeError``,
    ``TypeError``; nothing is emitted then.
    """
    return _apply(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.create_message(
            room, event, data, ns, message_id, owner, dry_run=dry
        ),
        owner,
        data,
    )


def update_message(
    self: Any,
    room: str,
    message_id: str,
    event: Any = KEEP,
    data: Any = KEEP,
    namespace: str | None = "/",
    actor: str | None = None,
    grants: Any = None,
) -> Mutation:
    """Change a message: each of ``event`` and ``data`` is kept (``KEEP``,
    the default), cleared (``CLEAR``, data only) or replaced (any value,
    ``None`` included). Emitted to the room as ``history:update`` with
    ``{"message_id", "action", "version", "seq", "event", "data"}`` (the
    state after), which is also returned.

    :param actor: the acting user, from the server's session (never from a
        client payload); ``None`` is the server itself, always allowed.
    :param grants: the actor's grants: ``{"message_update_any": ["room:*"],
        "message_update_own": ["*"], ...}``.

    An update that changes nothing, or of a deleted message, raises
    ``InvalidMessageError``; see also ``MessageNotFoundError``,
    ``MessageForbiddenError``, ``MessageTooLargeError``,
    ``HistoryNotEnabledError``. A failed update changes and emits nothing.
    """
    return _apply(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.update_message(
            room, message_id, event, data, ns, actor, grants, dry_run=dry
        ),
    )


def delete_message(
    self: Any,
    room: str,
    message_id: str,
    namespace: str | None = "/",
    actor: str | None = None,
    grants: Any = None,
) -> Mutation:
    """Delete a message: it becomes a tombstone, its data is removed from
    every entry of it (reads show ``data: None, redacted: True``), and
    ``history:delete`` is emitted to the room. Raises like
    :func:`update_message`."""
    return _apply(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.delete_message(
            room, message_id, ns, actor, grants, dry_run=dry
        ),
    )


def append_message(
    self: Any,
    room: str,
    message_id: str,
    fragment: str,
    final: bool = False,
    namespace: str | None = "/",
    actor: str | None = None,
    grants: Any = None,
) -> Mutation:
    """Append ``fragment`` (a non-empty str) to the message's text — an AI
    answer streamed token by token — and emit ``history:append`` with
    ``{"message_id", "action", "version", "seq", "event", "fragment",
    "final"}``. ``final=True`` closes the stream (the fragment may then be
    empty). Late joiners get the text so far from ``replay_history``.
    Appending to a closed or deleted message, or to data that is not text,
    raises ``InvalidMessageError``; the room's ``max_message_bytes``,
    ``max_appends`` and ``max_open_streams`` raise ``MessageTooLargeError``."""
    return _apply(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.append_message(
            room, message_id, fragment, final, ns, actor, grants, dry
        ),
    )


def get_message(self: Any, room: str, message_id: str, namespace: str | None = "/") -> Message:
    """The message's latest state: ``{"message_id", "event", "data",
    "version", "action", "deleted", "streaming", "final", "appends",
    "owner", "seq", "last_seq", "created", "updated"}``. Raises
    ``MessageNotFoundError`` (also once every entry of it was evicted) or
    ``HistoryNotEnabledError``."""
    return store_of(self).get_message(room, message_id, namespace)


def get_message_versions(
    self: Any,
    room: str,
    message_id: str,
    limit: int = DEFAULT_VERSIONS_LIMIT,
    namespace: str | None = "/",
) -> list[Entry]:
    """The message's retained entries, newest first, at most ``limit``
    (appends show their fragment; a deleted message's show ``data: None``
    and ``redacted: True``)."""
    return store_of(self).get_message_versions(room, message_id, limit, namespace)


async def create_message_async(
    self: Any,
    room: str,
    event: str,
    data: Any,
    namespace: str | None = "/",
    message_id: str | None = None,
    owner: str | None = None,
) -> Mutation:
    return await _apply_async(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.create_message(
            room, event, data, ns, message_id, owner, dry_run=dry
        ),
        owner,
        data,
    )


async def update_message_async(
    self: Any,
    room: str,
    message_id: str,
    event: Any = KEEP,
    data: Any = KEEP,
    namespace: str | None = "/",
    actor: str | None = None,
    grants: Any = None,
) -> Mutation:
    return await _apply_async(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.update_message(
            room, message_id, event, data, ns, actor, grants, dry_run=dry
        ),
    )


async def delete_message_async(
    self: Any,
    room: str,
    message_id: str,
    namespace: str | None = "/",
    actor: str | None = None,
    grants: Any = None,
) -> Mutation:
    return await _apply_async(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.delete_message(
            room, message_id, ns, actor, grants, dry_run=dry
        ),
    )


async def append_message_async(
    self: Any,
    room: str,
    message_id: str,
    fragment: str,
    final: bool = False,
    namespace: str | None = "/",
    actor: str | None = None,
    grants: Any = None,
) -> Mutation:
    return await _apply_async(
        self,
        room,
        namespace,
        lambda store, ns, dry: store.append_message(
            room, message_id, fragment, final, ns, actor, grants, dry
        ),
    )


for _sync, _twin in (
    (create_message, create_message_async),
    (update_message, update_message_async),
    (delete_message, delete_message_async),
    (append_message, append_message_async),
):
    _twin.__doc__ = (_sync.__doc__ or "") + "\n\n    Note: this method is a coroutine.\n"
    _twin.__name__ = _twin.__qualname__ = _sync.__name__

__all__ = ["CLEAR", "KEEP"]

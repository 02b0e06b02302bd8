"""Operations on messages in flight: what the emit hook must know about an
emit that carries one, and how a message queue carries it to other nodes.

The server methods (``_messages.py``) apply an operation and then emit it
with a :class:`PendingOp` set in :data:`OP`. The hook (``_hook.py``) sees
it: the room already holds the operation, so only the namespace's recovery
log records the emit. With a message queue, ``PubSubManager._handle_emit``
adds the operation to the emit's queue message on the origin and, on every
other node, sets it again for the hook, which applies it to that node's
store before delivery.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ._errors import HistoryNotEnabledError
from ._log import logger, record_failed
from ._native import KEEP, HistoryStore

if TYPE_CHECKING:
    from ._recovery import Recovery
    from ._state import ServerState

# The key a message queue's emit message carries the operation under.
WIRE_KEY = "socketio_history"


@dataclass
class PendingOp:
    """An operation on a message whose emit is being delivered.

    ``applied``: this node applied it (the caller holds the delivery lock);
    otherwise it came from another node through the queue and is applied
    when the emit reaches the hook."""

    room: str
    message_id: str
    wire: dict[str, Any] = field(default_factory=dict)
    applied: bool = True
    manager: Any = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.room, self.message_id)

    def note(
        self, state: ServerState, ns: str, target: Any, event: Any, data: Any, skip_sid: Any
    ) -> tuple[Any, Recovery | None]:
        """The emit hook's part: apply the operation if it came from another
        node, then log the emit for recovery (the room itself already holds
        the operation). Returns the data to send and the recovery state."""
        if not self.applied:
            try:
                apply_remote(state.store, ns, self, event, data)
            except BaseException as e:  # history never breaks an emit
                record_failed(e, event, target, ns)
        rec = state.recovery
        if rec is not None:
            data = rec.record(ns, target, event, data, skip_sid, message=self.key)
        return data, rec


class InFlight(Protocol):
    """What the emit hook is told about the emit going through it now (see
    :data:`OP`): how to record it instead of counting its own seqs."""

    @property
    def manager(self) -> Any:
        """The client manager it belongs to (the hook runs on others too)."""

    @property
    def applied(self) -> bool:
        """Whether the caller already holds the delivery lock."""

    def note(
        self, state: ServerState, ns: str, target: Any, event: Any, data: Any, skip_sid: Any
    ) -> tuple[Any, Recovery | None]:
        """Record the emit; the data to send and the recovery state."""


# The emit going through the hook now, when it is more than a plain emit:
# an operation on a message (:class:`PendingOp`), or with a streams manager
# an emit read back from the stream (``_streams.StreamedEmit``, recorded at
# the stream's seqs) or one delivered on this node only
# (``_streams.LocalOnly``).
OP: contextvars.ContextVar[InFlight | None] = contextvars.ContextVar(
    "socketio_history_op", default=None
)


def apply_remote(store: HistoryStore, namespace: str, op: PendingOp, event: Any, data: Any) -> Any:
    """Apply an operation another node made (it authorized it) to this
    node's store; its result, or ``None``. A room without history here, or a
    message this node does not hold (it joined late), is skipped: the emit
    is delivered anyway."""
    w = op.wire
    try:
        action = w.get("action")
        if action == "create":
            return store.create_message(
                op.room, event, data, namespace, op.message_id, w.get("owner")
            )
        if action == "update" and isinstance(data, dict):
            return store.update_message(
                op.room, op.message_id, data.get("event", KEEP), data.get("data"), namespace
            )
        if action == "delete":
            return store.delete_message(op.room, op.message_id, namespace)
        if action == "append" and isinstance(data, dict):
            return store.append_message(
                op.room,
                op.message_id,
                data.get("fragment", ""),
                bool(data.get("final", False)),
                namespace,
            )
        logger.warning("ignored a message operation from the queue: %r", w)
    except HistoryNotEnabledError:
        pass
    except (TypeError, ValueError, LookupError, PermissionError) as e:
        logger.warning(
            "could not apply %s of message %r in room %r from the queue: %s",
            w.get("action"),
            op.message_id,
            op.room,
            e,
        )
    return None


def wrap_handle_emit(original: Any, is_async: bool) -> Any:
    """``PubSubManager._handle_emit``: the origin's copy gets the pending
    operation added (the same dict is then published); a copy from the
    queue that carries one sets it for the hook."""

    def pending(self: Any, message: dict[str, Any]) -> PendingOp | None:
        op = OP.get()
        if isinstance(op, PendingOp) and op.applied:
            message[WIRE_KEY] = op.wire
            return None
        w = message.get(WIRE_KEY)
        if isinstance(w, dict) and isinstance(w.get("room"), str) and isinstance(w.get("id"), str):
            return PendingOp(w["room"], w["id"], w, applied=False, manager=self)
        return None

    if is_async:

        async def handle_emit_async(self: Any, message: Any) -> Any:
            remote = pending(self, message) if isinstance(message, dict) else None
            if remote is None:
                return await original(self, message)
            token = OP.set(remote)
            try:
                return await original(self, message)
            finally:
                OP.reset(token)

        return handle_emit_async

    def handle_emit(self: Any, message: Any) -> Any:
        remote = pending(self, message) if isinstance(message, dict) else None
        if remote is None:
            return original(self, message)
        token = OP.set(remote)
        try:
            return original(self, message)
        finally:
            OP.reset(token)

    return handle_emit

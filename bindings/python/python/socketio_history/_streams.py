"""What the Redis Streams managers share: the keys, the script every emit
runs, how a stream entry is read back, and how a consumed emit reaches the
emit hook with its stream-assigned seqs. The managers themselves are in
``_streams_sync.py`` and ``_streams_async.py``; the design, with what each
emit costs in Redis, is in ``docs/STREAMS.md``.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import importlib.util
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from socketio.packet import Packet

from ._hook import STATE_KEY
from ._log import record_failed
from ._native import new_epoch
from ._native import offset_seq as _offset_seq
from ._ops import OP, WIRE_KEY, PendingOp, apply_remote
from ._recovery import _PID, _Session

if TYPE_CHECKING:
    from ._recovery import Recovery
    from ._state import ServerState

logger = logging.getLogger("socketio_history")

DEFAULT_MAXLEN = 10_000
# Stream entries one XREAD returns at most, and how long it blocks.
READ_COUNT = 256
BLOCK_MS = 1_000
# Live sessions whose lifetimes one script call renews.
REFRESH_BATCH = 500
# How long a restore waits for this node to have read as far as the session
# it restores (its events may still be on their way through the stream).
CATCH_UP_SECONDS = 2.0

_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}\Z")

# One round trip per batch of manager messages, in order: for an emit, the
# stream's epoch (created on first use), a seq for each addressed room that
# has history somewhere in the cluster and one for the namespace's recovery
# log, then the append; any other message (disconnect, enter_room, ack
# callbacks, ...) is a plain append. Run atomically, so the seqs increase in
# stream order. The batch's key makes a retry of a batch Redis already
# applied (its reply was lost) a no-op: each batch lands once.
#   KEYS: stream, seq hash, history-room set, epoch, this batch's key
#   ARGV: maxlen, candidate epoch, then per message either
#         "p", message   or   "e", message, namespace, logged (1/0), n, n rooms
XADD_BATCH_SCRIPT = """
if not redis.call('SET', KEYS[5], '1', 'NX', 'EX', 600) then return 0 end
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[4], epoch)
  redis.call('DEL', KEYS[2])
end
local i = 3
local n = 0
while i <= #ARGV do
  if ARGV[i] == 'p' then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[i + 1])
    i = i + 2
  else
    local ns = ARGV[i + 2]
    local rooms = tonumber(ARGV[i + 4])
    local seqs = {}
    for j = 0, rooms - 1 do
      local f = ns .. '\0' .. ARGV[i + 5 + j]
      if redis.call('SISMEMBER', KEYS[3], f) == 1 then
        seqs[#seqs + 1] = tostring(j) .. ':' .. tostring(redis.call('HINCRBY', KEYS[2], f, 1))
      end
    end
    local log = ''
    if ARGV[i + 3] == '1' then
      log = tostring(redis.call('HINCRBY', KEYS[2], '\0' .. ns, 1))
    end
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
      'm', ARGV[i + 1], 'e', epoch, 's', table.concat(seqs, ','), 'l', log)
    i = i + 5 + rooms
  end
  n = n + 1
end
return n
"""


class Backoff:
    """How long the writer and the reader wait before trying Redis again:
    0.1 s, doubling up to 5 s; back to 0.1 s after a success."""

    FIRST, MOST = 0.1, 5.0

    def __init__(self) -> None:
        self.delay = self.FIRST

    def next(self) -> float:
        delay, self.delay = self.delay, min(self.delay * 2, self.MOST)
        return delay

    def reset(self) -> None:
        self.delay = self.FIRST


# The connection pool's bound, and how long a caller waits for a connection.
POOL_SIZE = 64
POOL_TIMEOUT = 30.0

# Manager messages one batch carries at most, and about how many bytes.
BATCH_MESSAGES = 512
BATCH_BYTES = 1 << 20
# Defaults of the bounded queue in front of the stream.
DEFAULT_MAX_QUEUE = 10_000
DEFAULT_QUEUE_TIMEOUT = 10.0

# Connection state recovery's sessions in Redis (docs/STREAMS.md,
# "Sessions in Redis"): one hash per session, {ch}:recovery:<pid>:<ns>,
# with the session as JSON (d), whether it is live or dropped (s), and a
# fence: the node that holds it (o) and a generation (g) that every restore
# increments. A node writes only while o and g are still what it holds, so
# a node that lost a client to a restore elsewhere can neither resave nor
# revive its session.

# A write of a node's session. ARGV: owner, generation, state, data, ttl ms,
# create (1: the fresh connection's first write; else the fence must hold).
SESSION_PUT_SCRIPT = """
local f = redis.call('HMGET', KEYS[1], 'o', 'g')
if ARGV[6] == '1' then
  if f[2] then return 0 end
elseif f[1] ~= ARGV[1] or f[2] ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'o', ARGV[1], 'g', ARGV[2], 's', ARGV[3], 'd', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# A session whose client left for good: deleted if the fence holds.
# ARGV: owner, generation.
SESSION_GONE_SCRIPT = """
local f = redis.call('HMGET', KEYS[1], 'o', 'g')
if f[1] == ARGV[1] and f[2] == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# The lifetimes of a node's live sessions, renewed where the fence holds.
# KEYS: sessions; ARGV: owner, ttl ms, then one generation per key.
SESSION_REFRESH_SCRIPT = """
local n = 0
for i = 1, #KEYS do
  local f = redis.call('HMGET', KEYS[i], 'o', 'g')
  if f[1] == ARGV[1] and f[2] == ARGV[i + 2] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    n = n + 1
  end
end
return n
"""

# A restore takes a session over: the next generation, this node as its
# owner. A session that was live elsewhere (that node died, or has not
# noticed the drop yet) is announced on the stream, so its old node ends
# the stale connection.
#   KEYS: session, stream; ARGV: owner, ttl ms, maxlen, namespace, pid
SESSION_TAKE_SCRIPT = """
local f = redis.call('HMGET', KEYS[1], 's', 'd')
if not f[2] then return nil end
local gen = redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HSET', KEYS[1], 'o', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if f[1] == 'live' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'm', cjson.encode({
    method = 'takeover', namespace = ARGV[4], pid = ARGV[5], gen = gen,
    host_id = ARGV[1]}))
end
return {f[2], gen}
"""

# A new lifetime for the stream, unless one was begun already: its epoch
# is replaced only if it is still the one the caller read entries under.
#   KEYS: epoch; ARGV: the epoch read, the new one
EPOCH_RESTART_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""


# How often a node renews its live sessions' lifetimes, for a recovery
# window of `duration` seconds: a live session lives `duration` plus two
# periods after its last renewal, so after its node dies it outlives the
# recovery window by at most that margin.
def refresh_period(duration: float) -> float:
    return min(max(duration / 4, 1.0), 60.0)


def live_ttl_ms(duration: float) -> int:
    return max(1, int((duration + 2 * refresh_period(duration)) * 1000))


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one channel. They share a hash tag, so the script
    that touches several of them could run on Redis Cluster (python-socketio
    connects to one Redis, or through Sentinel, never to a cluster)."""

    stream: str
    seqs: str
    rooms: str
    epoch: str
    session_prefix: str
    batch_prefix: str

    @classmethod
    def of(cls, channel: str) -> Keys:
        tag = "{" + channel + "}"
        return cls(
            stream=f"{tag}:stream",
            seqs=f"{tag}:seq",
            rooms=f"{tag}:history-rooms",
            epoch=f"{tag}:epoch",
            session_prefix=f"{tag}:recovery:",
            batch_prefix=f"{tag}:batch:",
        )

    def session(self, namespace: str, pid: str) -> str:
        return f"{self.session_prefix}{pid}:{namespace}"


def room_field(namespace: str, room: str) -> str:
    """How a room with history is named in the cluster's room set."""
    return f"{namespace}\0{room}"


def require_client() -> None:
    """Refuse at once, not on first use, when no Redis client library is
    installed (python-socketio's managers fail only when they connect)."""
    for name in ("redis", "valkey"):
        try:
            if importlib.util.find_spec(name) is not None:
                return
        except (ImportError, ValueError):
            pass
    raise RuntimeError("the Redis Streams managers need redis-py: pip install redis")


def _id_key(entry_id: str) -> tuple[int, ...]:
    """A stream entry id ("<ms>-<n>") as something that sorts like it."""
    return tuple(int(part) for part in entry_id.split("-"))


def check_options(maxlen: Any) -> int:
    if isinstance(maxlen, bool) or not isinstance(maxlen, int):
        raise TypeError(f"maxlen must be an int, not {type(maxlen).__name__}")
    if maxlen < 1:
        raise ValueError(f"maxlen must be at least 1, got {maxlen}")
    return maxlen


def addressed(room: Any) -> list[str]:
    """The rooms an emit message addresses, each once, in order (as the
    core's emit hook reads ``to``)."""
    if isinstance(room, str):
        return [room]
    if isinstance(room, (list, tuple)):
        out: list[str] = []
        for r in room:
            if isinstance(r, str) and r not in out:
                out.append(r)
        return out
    return []


def message_args(encoded: str, message: Any) -> list[Any]:
    """One manager message's part of a batch's arguments."""
    if not (isinstance(message, dict) and message.get("method") == "emit"):
        return ["p", encoded]
    rooms = addressed(message.get("room"))
    logged = "1" if message.get("callback") is None else "0"
    return ["e", encoded, message.get("namespace") or "/", logged, len(rooms), *rooms]


def check_queue_options(max_queue: Any, queue_timeout: Any) -> tuple[int, float]:
    if isinstance(max_queue, bool) or not isinstance(max_queue, int):
        raise TypeError(f"max_queue must be an int, not {type(max_queue).__name__}")
    if max_queue < 1:
        raise ValueError(f"max_queue must be at least 1, got {max_queue}")
    if isinstance(queue_timeout, bool) or not isinstance(queue_timeout, (int, float)):
        raise TypeError(
            f"queue_timeout must be a number of seconds, not {type(queue_timeout).__name__}"
        )
    if not math.isfinite(queue_timeout) or queue_timeout < 0:
        raise ValueError(f"queue_timeout must be a finite number >= 0, got {queue_timeout}")
    return max_queue, float(queue_timeout)


@dataclass
class QueueStats:
    """What the queue in front of the stream did (``queue_stats()``)."""

    queued: int = 0  # accepted by emit() and the other manager calls
    appended: int = 0  # in the stream
    dropped: int = 0  # refused: the queue stayed full for queue_timeout
    batches: int = 0  # round trips that appended
    retries: int = 0  # batches tried again after a Redis error
    # Times this node found that entries it had not read yet were trimmed
    # (it fell more than maxlen entries behind): not delivered here.
    overrun: int = 0
    # Times this node found, on reconnecting, that the stream had lost
    # entries it had read (Redis came back from an older snapshot, or
    # failed over to a replica that lagged): a new epoch began.
    rewound: int = 0

    def as_dict(self, waiting: int) -> dict[str, int]:
        return {
            "waiting": waiting,
            "queued": self.queued,
            "appended": self.appended,
            "dropped": self.dropped,
            "batches": self.batches,
            "retries": self.retries,
            "overrun": self.overrun,
            "rewound": self.rewound,
        }


@dataclass
class Entry:
    """A stream entry read back."""

    id: str
    message: dict[str, Any]
    epoch: str | None
    seqs: list[tuple[str, int]]
    log_seq: int | None

    @property
    def timestamp(self) -> float:
        return int(self.id.split("-", 1)[0]) / 1000.0


def text_of(value: Any) -> str:
    """A Redis reply field as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def decode(entry_id: Any, fields: dict[Any, Any], loads: Any) -> Entry | None:
    """A stream entry as the manager reads it; ``None`` for anything that is
    not one of ours (logged and skipped: a stream is shared data)."""
    try:
        eid = text_of(entry_id)
        f = {text_of(k): v for k, v in fields.items()}
        message = loads(text_of(f["m"]))
        if not isinstance(message, dict) or not _STREAM_ID.match(eid):
            raise ValueError("not a manager message")
        epoch = text_of(f["e"]) if "e" in f else None
        seqs: list[tuple[str, int]] = []
        raw = text_of(f.get("s", ""))
        if raw:
            rooms = addressed(message.get("room"))
            for pair in raw.split(","):
                i, seq = pair.split(":")
                seqs.append((rooms[int(i)], int(seq)))
        log = text_of(f.get("l", ""))
        return Entry(eid, message, epoch, seqs, int(log) if log else None)
    except (KeyError, ValueError, IndexError, TypeError) as e:
        logger.warning("skipped stream entry %r: %s", entry_id, e)
        return None


def stream_data(message: dict[str, Any]) -> Any:
    """An emit message's data as the server emits it (PubSubManager's own
    decoding: binary attachments, several arguments as a tuple)."""
    data = message.get("data")
    if message.get("binary") and isinstance(data, list) and data:
        attachments = [base64.b64decode(a) for a in data[1:]]
        data = Packet.reconstruct_binary(data[0], attachments)
    if isinstance(data, list):
        return data[0] if len(data) == 1 else tuple(data)
    return data


@dataclass
class StreamedEmit:
    """An emit consumed from the stream, on its way through the emit hook
    (set in ``_ops.OP``): the hook records it at the stream's positions
    instead of counting its own. The consumer holds the delivery lock."""

    entry: Entry
    manager: Any
    applied: bool = True
    op: PendingOp | None = field(default=None)

    def note(
        self, state: ServerState, ns: str, target: Any, event: Any, data: Any, skip_sid: Any
    ) -> tuple[Any, Recovery | None]:
        e = self.entry
        rec = state.recovery
        if e.epoch is None:
            return data, rec
        message = (self.op.room, self.op.message_id) if self.op is not None else None
        seq = dict(e.seqs).get(self.op.room) if self.op is not None else None
        if self.op is not None and seq is not None:
            # The operation records its own entry in the room, at its seq.
            result = None
            try:
                if state.recorder.sequence(self.op.room, ns, e.epoch, seq):
                    result = apply_remote(state.store, ns, self.op, event, data)
                    if result is not None and result["action"] != "create":
                        # What every node applied, with the seq and version
                        # the stream's order gave it (the origin predicted).
                        data = result
            except BaseException as err:  # history never breaks an emit
                record_failed(err, event, target, ns)
            self.manager.op_done(self.op.wire.get("t"), result)
            seqs: list[tuple[str, int]] = [s for s in e.seqs if s[0] != self.op.room]
        else:
            seqs = e.seqs
        if rec is not None and e.log_seq is not None:
            return rec.record(
                ns,
                target,
                event,
                data,
                skip_sid,
                message=message,
                at=(e.epoch, seqs, e.log_seq, e.timestamp),
            ), rec
        try:
            state.recorder.record_emit_sequenced(
                ns, target, event, data, skip_sid, e.epoch, seqs, None, None, e.timestamp
            )
        except BaseException as err:
            record_failed(err, event, target, ns)
        return data, rec


def pending_op(message: dict[str, Any], manager: Any) -> PendingOp | None:
    """The message operation an emit message carries, taken out of it."""
    w = message.pop(WIRE_KEY, None)
    if isinstance(w, dict) and isinstance(w.get("room"), str) and isinstance(w.get("id"), str):
        return PendingOp(w["room"], w["id"], w, applied=False, manager=manager)
    return None


# Set while this node's own emit goes out: PubSubManager.emit hands it to
# `_handle_emit` first, which then leaves it to the stream.
ORIGIN: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "socketio_history_streams_origin", default=False
)


class LocalOnly:
    """An ``ignore_queue`` emit: delivered on this node, not recorded (every
    seq of a room is the stream's, so one the stream never saw has none)."""

    applied = True

    def __init__(self, manager: Any) -> None:
        self.manager = manager

    def note(
        self, state: ServerState, ns: str, target: Any, event: Any, data: Any, skip_sid: Any
    ) -> tuple[Any, Recovery | None]:
        return data, None


class StreamsCommon:
    """What both managers share that does no I/O of its own: setup, the
    connection, the delivery lock, the append each message costs, and which
    handler a non-emit message goes to. (Mixed in before ``RedisManager``
    or ``AsyncRedisManager``; the I/O is in the twins.)"""

    # Sessions of dropped connections are kept for every node (read by
    # _recovery.py), and message operations go through the stream (read by
    # _messages.py).
    shares_sessions = True
    through_stream = True
    # Provided by the python-socketio manager it is mixed into.
    connected: bool
    redis: Any
    host_id: str

    def _streams_init(self, channel: str, max_queue: int, queue_timeout: float) -> None:
        self.keys = Keys.of(channel)
        self.max_queue = max_queue
        self.queue_timeout = queue_timeout
        self._stats = QueueStats()
        self._batch_no = 0
        # Operations this node queued, by token, until it read them back.
        self._op_no = 0
        self._ops: dict[str, Any] = {}
        self._script: Any = None
        self._put: Any = None
        self._gone: Any = None
        self._refresh: Any = None
        self._take: Any = None
        self._restart_epoch: Any = None
        # When this node next renews its live sessions' lifetimes.
        self._next_refresh = 0.0
        # The id of the last stream entry this node has read (None: not yet
        # known); moved under the server's delivery lock.
        self.last_id: str | None = None
        # The epoch of the last entry this node has read (None: none yet),
        # and one found to need ending (``_rewind``) until that is done.
        self.last_epoch: str | None = None
        self._epoch_to_end: str | None = None

    def _redis_connect(self) -> None:
        super()._redis_connect()  # type: ignore[misc]
        self._use_blocking_pool()
        self._script = self.redis.register_script(XADD_BATCH_SCRIPT)
        self._put = self.redis.register_script(SESSION_PUT_SCRIPT)
        self._gone = self.redis.register_script(SESSION_GONE_SCRIPT)
        self._refresh = self.redis.register_script(SESSION_REFRESH_SCRIPT)
        self._take = self.redis.register_script(SESSION_TAKE_SCRIPT)
        self._restart_epoch = self.redis.register_script(EPOCH_RESTART_SCRIPT)

    def _use_blocking_pool(self) -> None:
        """A connection pool that makes callers wait for a free connection:
        redis-py's own raises "Too many connections" past its bound (100
        since redis-py 8), which the threads of a threading server writing
        sessions at once in a reconnect storm exceed. Unless the app sized
        the pool itself (``max_connections`` in ``redis_options``), or uses
        Sentinel."""
        options: dict[str, Any] = self.redis_options  # type: ignore[attr-defined]
        url: str = self.redis_url  # type: ignore[attr-defined]
        if "max_connections" in options or "sentinel" in url.split(":", 1)[0]:
            return
        # The pool class from the package the client came from (redis or
        # valkey, sync or asyncio): python-socketio's helper for that was
        # renamed between the releases this package supports.
        made = type(self.redis.connection_pool)
        blocking = importlib.import_module(made.__module__).BlockingConnectionPool
        pool = blocking.from_url(url, max_connections=POOL_SIZE, timeout=POOL_TIMEOUT, **options)
        self.redis = type(self.redis).from_pool(pool)  # it owns the pool: close() closes it

    def _client(self) -> Any:
        if not self.connected:
            self._redis_connect()
        return self.redis

    def _delivery_lock(self) -> Any:
        state = self.__dict__.get(STATE_KEY)
        return state.lock if state is not None else contextlib.nullcontext()

    def _batch_call(self, items: list[list[Any]]) -> Any:
        """The Redis call that appends a batch of queued messages (each
        ``message_args``), given a client; the batch gets its own key, so a
        retry of it is applied once."""
        self._batch_no += 1
        keys = [
            self.keys.stream,
            self.keys.seqs,
            self.keys.rooms,
            self.keys.epoch,
            f"{self.keys.batch_prefix}{self.host_id}:{self._batch_no}",
        ]
        # The epoch is a candidate, used only by a batch that finds none in
        # Redis (the core draws it: its alphabet, 60 random bits).
        args: list[Any] = [self.maxlen, new_epoch()]  # type: ignore[attr-defined]
        for item in items:
            args += item
        return lambda r: self._script(keys=keys, args=args, client=r)

    def _take_batch(self, queue: Any) -> list[list[Any]]:
        """The next batch off the front of ``queue`` (a deque of
        ``(message_args, size)``), oldest first."""
        batch: list[list[Any]] = []
        size = 0
        while queue and len(batch) < BATCH_MESSAGES and (not batch or size < BATCH_BYTES):
            item, n = queue.popleft()
            batch.append(item)
            size += n
        return batch

    def queue_stats(self) -> dict[str, int]:
        """What the queue in front of the stream did: ``waiting`` (queued,
        not yet in the stream), ``queued``, ``appended``, ``dropped`` (the
        queue stayed full for ``queue_timeout``), ``batches``, ``retries``,
        ``overrun``: times this node fell more than ``maxlen`` entries
        behind the stream and entries were trimmed before it read them, and
        ``rewound``: times Redis came back without entries this node had
        read (an older snapshot, a replica that lagged), which began a new
        epoch."""
        return self._stats.as_dict(self._waiting())

    def _reading(self, client: Any, check: bool) -> Any:
        """The next read, one round trip (a pipeline): ``XREAD`` from the
        last entry read here, preceded after a read that returned entries
        by ``XRANGE - + COUNT 1`` for ``_overrun``. Its replies end with
        the read's."""
        pipe = client.pipeline(transaction=False)
        if check:
            pipe.xrange(self.keys.stream, "-", "+", count=1)
        pipe.xread({self.keys.stream: self.last_id}, count=READ_COUNT, block=BLOCK_MS)
        return pipe

    def _read_reply(self, replies: list[Any], checked: bool) -> Any:
        """The ``XREAD`` reply of a ``_reading`` pipeline's ``replies``,
        after checking its ``XRANGE`` (when ``checked``) for an overrun."""
        if checked:  # did entries go while this node delivered?
            self._overrun(replies[0])
        return replies[-1]

    def _overrun(self, oldest: Any) -> None:
        """After a read (before the next): if the stream's oldest entry is
        past the last one read here, what lay between was trimmed unread —
        those emits never reached this node's clients. Logged and counted;
        a larger ``maxlen`` gives slow nodes more room."""
        if not oldest or self.last_id is None:
            return
        if _id_key(text_of(oldest[0][0])) > _id_key(self.last_id) and self.last_id != "0-0":
            self._stats.overrun += 1
            self._get_logger().error(  # type: ignore[attr-defined]
                "redis-streams: this node fell more than maxlen (%d) entries behind the"
                " stream: entries after %s were trimmed before it read them and were"
                " not delivered here",
                self.maxlen,  # type: ignore[attr-defined]
                self.last_id,
            )

    def _checking_tail(self, client: Any) -> Any:
        """After a lost connection, one round trip (a pipeline) for
        ``_rewind``: the stream's oldest entry, and its newest up to the
        last one read here."""
        pipe = client.pipeline(transaction=False)
        pipe.xrange(self.keys.stream, "-", "+", count=1)
        pipe.xrevrange(self.keys.stream, self.last_id, "-", count=1)
        return pipe

    def _reads_on(self) -> bool:
        """Whether this node has a place in the stream to check after a
        lost connection (``_checking_tail``)."""
        return self.last_id not in (None, "0-0")

    def _decode(self, entry_id: Any, fields: Any) -> Entry | None:
        """A stream entry read here (``None``: not the managers'), its
        epoch remembered for ``_rewind``."""
        entry = decode(entry_id, fields, self.json.loads)  # type: ignore[attr-defined]
        if entry is not None and entry.epoch is not None:
            self.last_epoch = entry.epoch
        return entry

    def _rewind(self, replies: list[Any]) -> None:
        """Whether the stream (``_checking_tail``'s ``replies``) lost entries
        this node had read: Redis came back from an older snapshot (RDB, or
        AOF fsync'd every second), or Sentinel promoted a replica that had
        not got them. The epoch and seq counters came back from before them,
        so the seqs the stream hands out next would name other entries than
        those this node holds under them. Then the node reads on from the
        last entry the stream kept, and the epoch it read is to be ended
        (``_ending_epoch``), so every node and cursor sees a gap instead of
        two histories under one epoch."""
        oldest, kept = replies
        last = self.last_id
        if last is None or (kept and text_of(kept[0][0]) == last):
            return
        if oldest and _id_key(text_of(oldest[0][0])) > _id_key(last):
            return  # trimmed past it: the overrun check tells
        self.last_id = text_of(kept[0][0]) if kept else "0-0"
        self._stats.rewound += 1
        self._get_logger().error(  # type: ignore[attr-defined]
            "redis-streams: the stream lost the entries after %s, up to %s, which this"
            " node had read (Redis restarted from older data, or failed over to a replica"
            " that lagged): their seqs begin a new epoch, and cursors from before see a gap",
            self.last_id,
            last,
        )
        # None: this node recorded nothing (read or back-filled) to fork.
        self._epoch_to_end = self.last_epoch

    def _ending_epoch(self) -> Any:
        """The call (given a client) that ends the epoch ``_rewind`` found
        forked, unless a node ended it already; ``None`` when none is to be
        ended. Kept until done, so a failed call is made again after the
        next reconnect."""
        read, keys = self._epoch_to_end, [self.keys.epoch]
        if read is None:
            return None
        return lambda r: self._restart_epoch(keys=keys, args=[read, new_epoch()], client=r)

    def _waiting(self) -> int:
        return self._stats.queued - self._stats.appended

    def _left_to_the_stream(self, message: Any) -> bool:
        """Whether ``_handle_emit`` was handed this node's own emit: it is
        delivered when read back from the stream, and an operation on a
        message travels with it."""
        if not ORIGIN.get():
            return False
        op = OP.get()
        if isinstance(op, PendingOp) and op.applied:
            message[WIRE_KEY] = op.wire
        return True

    def _handler(self, message: dict[str, Any]) -> Any:
        """The handler of a non-emit message read back (``None``: none; the
        origin handled its own, as with pub/sub)."""
        method = message.get("method")
        if method == "callback":
            return self._handle_callback  # type: ignore[attr-defined]
        if message.get("host_id") == self.host_id:
            return None
        names = {
            "takeover": "_handle_takeover",
            "disconnect": "_handle_disconnect",
            "enter_room": "_handle_enter_room",
            "leave_room": "_handle_leave_room",
            "close_room": "_handle_close_room",
        }
        name = names.get(method) if isinstance(method, str) else None
        return getattr(self, name) if name else None

    # ---- sessions in Redis: the calls, for the twins to run -------------

    def _recovery(self) -> Recovery | None:
        state = self.__dict__.get(STATE_KEY)
        return None if state is None else state.recovery

    def _put_call(self, namespace: str, sid: str, create: bool) -> Any:
        """The write of a connected client's session as it is now (``None``:
        nothing to write)."""
        rec = self._recovery()
        session = None if rec is None else rec.live_session(namespace, sid)
        if rec is None or session is None:
            return None
        return self._write_call(namespace, session, "live", live_ttl_ms(rec.duration), create)

    def _dropped_call(self, namespace: str, session: _Session, duration: float) -> Any:
        ttl = max(1, int(duration * 1000))
        return self._write_call(namespace, session, "dropped", ttl, False)

    def _write_call(
        self, namespace: str, session: _Session, state: str, ttl_ms: int, create: bool
    ) -> Any:
        """One fenced write of a session (``None``: it cannot be stored)."""
        blob = session_blob(session)
        if blob is None:
            return None
        key = self.keys.session(namespace, session.pid)
        args = [self.host_id, session.fence, state, blob, ttl_ms, int(create)]
        return lambda r: self._put(keys=[key], args=args, client=r)

    def _gone_call(self, namespace: str, pid: str, fence: int) -> Any:
        key = self.keys.session(namespace, pid)
        return lambda r: self._gone(keys=[key], args=[self.host_id, fence], client=r)

    def _take_call(self, namespace: str, pid: Any) -> Any:
        """The take of ``pid``'s session (``None`` for a malformed pid)."""
        rec = self._recovery()
        if rec is None or not isinstance(pid, str) or not _PID.match(pid):
            return None
        keys = [self.keys.session(namespace, pid), self.keys.stream]
        args = [self.host_id, live_ttl_ms(rec.duration), self.maxlen, namespace, pid]  # type: ignore[attr-defined]
        return lambda r: self._take(keys=keys, args=args, client=r)

    # ---- read your own operations ------------------------------------

    def expect_op(self, wire: dict[str, Any]) -> str:
        """Mark an operation on a message this node is about to queue, so
        that its caller can wait until this node applied it (``wait_op``):
        the next operation on that message is then checked against it."""
        self._op_no += 1
        token = f"{self.host_id}:{self._op_no}"
        wire["t"] = token
        self._ops[token] = self._op_waiter()
        return token

    def _op_waiter(self) -> Any:  # the twins': a concurrent or an asyncio Future
        raise NotImplementedError

    def _lost(self, sid: str) -> None:
        """A session write was refused: another node restored it since."""
        self._get_logger().info(  # type: ignore[attr-defined]
            "redis-streams: session of %s is another node's now", sid
        )

    def _refresh_calls(self) -> list[Any]:
        """When due, the renewals of this node's live sessions' lifetimes
        (one script call per batch of sessions); else none."""
        rec = self._recovery()
        now = time.monotonic()
        if rec is None or now < self._next_refresh:
            return []
        self._next_refresh = now + refresh_period(rec.duration)
        fences = rec.live_fences()
        ttl = live_ttl_ms(rec.duration)
        calls = []
        for i in range(0, len(fences), REFRESH_BATCH):
            batch = fences[i : i + REFRESH_BATCH]
            keys = [self.keys.session(ns, pid) for ns, pid, _ in batch]
            args = [self.host_id, ttl, *(g for _, _, g in batch)]
            calls.append(lambda r, k=keys, a=args: self._refresh(keys=k, args=a, client=r))
        return calls

    def _room_fields(self) -> list[str]:
        """Every room with history here, as named in the cluster's set."""
        state = self.__dict__.get(STATE_KEY)
        return [room_field(ns, r) for ns, r in state.store.rooms()] if state is not None else []


def back_fill(manager: Any, entry_id: Any, fields: Any, namespace: str, room: str) -> None:
    """Record one stream entry into ``room`` only (a room that just got
    history on this node): no delivery, no recovery log."""
    state = manager.__dict__.get(STATE_KEY)
    entry = decode(entry_id, fields, manager.json.loads)
    if entry is not None and manager.last_epoch is None:
        # What it holds now came under this epoch, though it read no entry
        # yet (later reads move it on): for ``_rewind``.
        manager.last_epoch = entry.epoch
    if state is None or entry is None or entry.message.get("method") != "emit":
        return
    message = entry.message
    if (message.get("namespace") or "/") != namespace:
        return
    entry.seqs = [s for s in entry.seqs if s[0] == room]
    if not entry.seqs:
        return
    entry.log_seq = None
    op = pending_op(message, manager)
    StreamedEmit(entry, manager, op=op).note(
        state,
        namespace,
        message.get("room"),
        message.get("event"),
        stream_data(message),
        message.get("skip_sid"),
    )


# ---- sessions in Redis -------------------------------------------------


def session_blob(session: _Session) -> str | None:
    """A session as JSON for Redis (``disconnect_seq`` ``None``: still
    connected); ``None`` when its user session cannot be written as JSON
    (it is then not kept)."""
    try:
        return json.dumps(
            {
                "sid": session.sid,
                "pid": session.pid,
                "rooms": session.rooms,
                "user_session": session.user_session,
                "epoch": session.epoch,
                "connect_seq": session.connect_seq,
                "sent": session.sent,
                "sent_base": session.sent_base,
                "window_full": session.window_full,
                "disconnect_seq": session.disconnect_seq,
            },
            separators=(",", ":"),
        )
    except (TypeError, ValueError) as e:
        logger.warning("session of %s not kept in Redis: %s", session.sid, e)
        return None


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def session_from_blob(blob: Any, fence: int = 0) -> _Session | None:
    """A session read back from Redis, holding the generation ``fence``;
    ``None`` for anything malformed."""
    try:
        d = json.loads(text_of(blob))
        strings = all(isinstance(d[k], str) for k in ("sid", "pid", "epoch"))
        dseq = d["disconnect_seq"]
        ints = _int(d["connect_seq"]) and (dseq is None or _int(dseq))
        lists = isinstance(d["rooms"], list) and isinstance(d["sent"], list)
        if not (strings and ints and lists):
            raise ValueError("wrong field types")
        return _Session(
            sid=d["sid"],
            pid=d["pid"],
            rooms=[r for r in d["rooms"] if isinstance(r, str)],
            user_session=d["user_session"],
            epoch=d["epoch"],
            connect_seq=d["connect_seq"],
            sent=[s for s in d["sent"] if isinstance(s, str)],
            sent_base=d["sent_base"] if isinstance(d["sent_base"], str) else None,
            window_full=bool(d["window_full"]),
            disconnect_seq=dseq,
            expires=math.inf,
            cost=0,
            fence=fence,
        )
    except (KeyError, TypeError, ValueError) as e:
        logger.warning("ignored a malformed session in Redis: %s", e)
        return None


def taken(reply: Any) -> _Session | None:
    """The session a take script returned (``None``: none, or malformed)."""
    if not isinstance(reply, (list, tuple)) or len(reply) != 2:
        return None
    blob, gen = reply
    if not _int(gen):
        return None
    return session_from_blob(blob, fence=gen)


def offset_seq(offset: Any, epoch: str) -> int:
    """The seq an offset of ``epoch`` names (0 for anything else: the
    restore then refuses it without waiting for it)."""
    return _offset_seq(offset, epoch) or 0

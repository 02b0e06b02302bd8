"""``RedisStreamsManager``: python-socketio's ``RedisManager`` with a Redis
stream in place of pub/sub, so every node delivers and records every emit
in one order, and catches up on what it missed (see ``_streams.py`` and
``docs/STREAMS.md``)."""

from __future__ import annotations

import atexit
import threading
import time
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from socketio.redis_manager import RedisManager

from . import _streams as st
from ._hook import STATE_KEY
from ._ops import OP
from ._recovery import _Session
from ._recovery_hooks import end_taken_over_sync


class RedisStreamsManager(st.StreamsCommon, RedisManager):  # type: ignore[misc]
    """A python-socketio client manager over Redis Streams: a drop-in for
    ``socketio.RedisManager`` (the same URL forms, ``channel``,
    ``write_only``, ``logger``, ``json`` and ``redis_options``) whose nodes
    all deliver and record every emit in stream order, catch up after a
    late start or a lost connection, and share connection state recovery.

    :param maxlen: about how many entries the stream keeps (``XADD MAXLEN
        ~``): how far back a node that was away, or started late, can catch
        up. What it no longer holds shows as a gap in cursors.
    :param max_queue: how many manager messages (emits, room changes, ack
        callbacks) may wait to be appended. An emit returns once queued; a
        writer appends what waits in batches, one round trip each, in the
        order it was queued.
    :param queue_timeout: how long an emit waits for room in a full queue
        (Redis slow or away) before it is dropped, logged and counted.

    Every emit, this node's included, reaches its clients once it is read
    back from the stream. ``flush()`` waits until what was queued is in the
    stream; a process that dies loses what had not reached it (the write-
    only emitter flushes at exit). ``ignore_queue`` emits are delivered on
    this node only and not recorded.
    """

    name = "redis-streams"

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
        redis_options: dict[str, Any] | None = None,
        maxlen: int = st.DEFAULT_MAXLEN,
        max_queue: int = st.DEFAULT_MAX_QUEUE,
        queue_timeout: float = st.DEFAULT_QUEUE_TIMEOUT,
    ) -> None:
        st.require_client()
        self.maxlen = st.check_options(maxlen)
        queue_options = st.check_queue_options(max_queue, queue_timeout)
        super().__init__(
            url=url,
            channel=channel,
            write_only=write_only,
            logger=logger,
            json=json,
            redis_options=redis_options,
        )
        self._streams_init(channel, *queue_options)
        self._queue: deque[tuple[list[Any], int]] = deque()
        self._cond = threading.Condition()
        self._writer: threading.Thread | None = None

    # ---- Redis ---------------------------------------------------------

    def _with_retry(self, what: str, call: Any) -> Any:
        """One call, tried again once on a fresh connection (as
        ``RedisManager._publish``); the error of the second try is raised."""
        try:
            return call(self._client())
        except Exception as exc:
            self._get_logger().error("redis-streams: %s failed, retrying: %s", what, exc)
            self.connected = False
            return call(self._client())

    # ---- sending -------------------------------------------------------

    def emit(
        self,
        event: Any,
        data: Any,
        namespace: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        if kwargs.get("ignore_queue"):
            token = OP.set(st.LocalOnly(self))
            try:
                return super().emit(event, data, namespace, room, skip_sid, callback, to, **kwargs)
            finally:
                OP.reset(token)
        origin = st.ORIGIN.set(True)
        try:
            return super().emit(event, data, namespace, room, skip_sid, callback, to, **kwargs)
        finally:
            st.ORIGIN.reset(origin)

    def _handle_emit(self, message: Any) -> Any:
        if self._left_to_the_stream(message):
            return None
        return super()._handle_emit(message)

    # ---- the queue in front of the stream ------------------------------

    def _publish(self, data: Any) -> None:
        """Queue a manager message for the writer (python-socketio calls
        this for emits and room changes); waits while the queue is full, at
        most ``queue_timeout``, then drops it (logged and counted)."""
        encoded = self.json.dumps(data)
        item = (st.message_args(encoded, data), len(encoded))
        with self._cond:
            if len(self._queue) >= self.max_queue and not self._cond.wait_for(
                lambda: len(self._queue) < self.max_queue, self.queue_timeout
            ):
                self._stats.dropped += 1
                self._get_logger().error(
                    "redis-streams: queue full for %.1f s, message dropped (%d so far)",
                    self.queue_timeout,
                    self._stats.dropped,
                )
                return
            self._queue.append(item)
            self._stats.queued += 1
            self._cond.notify_all()
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write, name="redis-streams-writer", daemon=True
                )
                self._writer.start()
                atexit.register(self._flush_at_exit)

    def _write(self) -> None:
        """The writer: appends what waits, a batch per round trip, in queue
        order; a batch Redis refused is tried again (with backoff) until it
        lands, so nothing queued is lost while the process lives."""
        backoff = st.Backoff()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue))
                batch = self._take_batch(self._queue)
                self._cond.notify_all()  # room in the queue
            call = self._batch_call(batch)
            while True:
                try:
                    call(self._client())
                    break
                except Exception as exc:
                    self._stats.retries += 1
                    delay = backoff.next()
                    self._get_logger().error(
                        "redis-streams: cannot append %d messages, retrying in %.1f s: %s",
                        len(batch),
                        delay,
                        exc,
                    )
                    self.connected = False
                    time.sleep(delay)
            backoff.reset()
            with self._cond:
                self._stats.appended += len(batch)
                self._stats.batches += 1
                self._cond.notify_all()

    def _op_waiter(self) -> Future[Any]:
        return Future()

    def op_done(self, token: Any, result: Any) -> None:
        """This node read back (and applied, giving ``result``; ``None``:
        refused) the operation ``token`` it queued."""
        future = self._ops.get(token) if isinstance(token, str) else None
        if future is not None and not future.done():
            future.set_result(result)

    def wait_op(self, token: str, timeout: float) -> Any:
        """The result of the operation ``token`` once this node applied it
        (``None``: refused, or not read back within ``timeout``)."""
        try:
            return self._ops[token].result(timeout)
        except FutureTimeout:
            return None
        finally:
            self._ops.pop(token, None)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every message queued before the call is in the
        stream; ``False`` if ``timeout`` seconds passed first."""
        with self._cond:
            target = self._stats.queued
            return self._cond.wait_for(lambda: self._stats.appended >= target, timeout)

    def _flush_at_exit(self) -> None:
        if not self.flush(timeout=5.0):
            self._get_logger().error(
                "redis-streams: %d messages not appended at exit", self._waiting()
            )

    # ---- reading -------------------------------------------------------

    def initialize(self) -> None:
        if not self.write_only:
            try:
                self.last_id = self._tail()
            except Exception as exc:  # the reader finds the tail once Redis is back
                self._get_logger().error("redis-streams: cannot reach Redis: %s", exc)
        super().initialize()

    def _tail(self) -> str:
        """The id of the newest entry in the stream ("0-0" when empty): a
        node goes live after it; rooms back-fill what came before."""
        newest = self._with_retry(
            "XREVRANGE", lambda r: r.xrevrange(self.keys.stream, "+", "-", count=1)
        )
        return st.text_of(newest[0][0]) if newest else "0-0"

    def _thread(self) -> None:
        backoff = st.Backoff()
        registered = False
        # Whether the last read returned entries: while they were delivered,
        # the stream may have moved on by more than maxlen (an XRANGE in the
        # next read's round trip tells).
        read_some = False
        while True:
            try:
                if self.last_id is None:
                    self.last_id = self._tail()
                if not registered:
                    if self._reads_on():
                        self._rewind(self._checking_tail(self._client()).execute())
                    end = self._ending_epoch()
                    if end is not None:
                        end(self._client())
                        self._epoch_to_end = None
                    self._register_rooms()
                    registered = True
                self._refresh_sessions()
                replies = self._reading(self._client(), read_some).execute()
                reply = self._read_reply(replies, read_some)
                backoff.reset()
                read_some = bool(reply)
                for _, entries in reply or ():
                    for entry_id, fields in entries:
                        self._consume(entry_id, fields)
            except Exception as exc:
                delay = backoff.next()
                self._get_logger().error(
                    "redis-streams: cannot read the stream, retrying in %.1f s: %s", delay, exc
                )
                self.connected = False
                registered = False
                time.sleep(delay)

    def _register_rooms(self) -> None:
        """Name every room with history here in the cluster's room set again
        (after a lost connection: Redis may have restarted without its
        data, and with it the set)."""
        fields = self._room_fields()
        if fields:
            self._client().sadd(self.keys.rooms, *fields)

    def _consume(self, entry_id: Any, fields: Any) -> None:
        entry = self._decode(entry_id, fields)
        if entry is None:
            self.last_id = st.text_of(entry_id)
            return
        message = entry.message
        if message.get("method") == "emit":
            op = st.pending_op(message, self)
            with self._delivery_lock():
                token = OP.set(st.StreamedEmit(entry, self, op=op))
                try:
                    super()._handle_emit(message)
                except Exception:
                    self._get_logger().exception("redis-streams: error delivering an emit")
                finally:
                    OP.reset(token)
                self.last_id = entry.id
            return
        self.last_id = entry.id
        try:
            self._dispatch(message)
        except Exception:
            self._get_logger().exception("redis-streams: error handling %r", message.get("method"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        handler = self._handler(message)
        if handler is not None:
            handler(message)

    # ---- history -------------------------------------------------------

    def history_enabled(self, room: str, namespace: str, enable: Any) -> None:
        """Give ``room`` history on this node with ``enable()``: first name
        it in the cluster's room set (from then on every emit to it gets a
        seq; a failure raises before anything changed), then enable it (bad
        options take the name back out and raise) and
        back-fill what the stream holds for it, under the delivery lock, so
        the reader's live entries come after."""
        state = self.__dict__.get(STATE_KEY)
        if self.write_only or state is None or not isinstance(room, str):
            enable()  # (raises on a bad room)
            return
        field = st.room_field(namespace, room)
        added = self._with_retry("SADD", lambda r: r.sadd(self.keys.rooms, field))
        with self._delivery_lock():
            fresh = not state.store.is_enabled(room, namespace)
            try:
                enable()
            except Exception:
                if added:  # bad options: the call changes nothing
                    self._with_retry("SREM", lambda r: r.srem(self.keys.rooms, field))
                raise
            if fresh:
                try:
                    self._back_fill_room(namespace, room)
                except Exception as exc:
                    self._get_logger().error("redis-streams: back-fill of %r failed: %s", room, exc)

    def _back_fill_room(self, namespace: str, room: str) -> None:
        end = self.last_id
        start = "-"
        while end is not None and end != "0-0":
            batch = self._with_retry(
                "XRANGE", lambda r, s=start: r.xrange(self.keys.stream, s, end, count=1_000)
            )
            for entry_id, fields in batch:
                st.back_fill(self, entry_id, fields, namespace, room)
            if len(batch) < 1_000:
                return
            start = "(" + st.text_of(batch[-1][0])

    # ---- connection state recovery ------------------------------------
    # Every session lives in Redis from connect on (docs/STREAMS.md,
    # "Sessions in Redis"); each write below is one round trip.

    def _session_io(self, what: str, call: Any) -> Any:
        """Run one session call (``None``: nothing to do); errors are logged
        (the client then reconnects afresh, as without recovery)."""
        if call is None:
            return None
        try:
            return self._with_retry(what, call)
        except Exception as exc:
            self._get_logger().error("redis-streams: session %s failed: %s", what, exc)
            return None

    def write_session(self, namespace: str, sid: str, create: bool = False) -> None:
        """Write a connected client's session as it is now: at connect
        (``create``, before the CONNECT reply goes out), join, leave, saved
        user session, restore. Refused once another node took it over."""
        if self._session_io("write", self._put_call(namespace, sid, create)) == 0:
            self._lost(sid)

    def session_changed(self, namespace: str, sid: str) -> None:
        self.write_session(namespace, sid)

    def session_gone(self, namespace: str, pid: str, fence: int) -> None:
        """The client left for good (or its restore failed): its session
        goes, unless another node holds it now."""
        self._session_io("delete", self._gone_call(namespace, pid, fence))

    def put_session(self, namespace: str, session: _Session, duration: float) -> None:
        """Keep a dropped connection's session for ``duration`` seconds
        (written before the disconnect completes), unless another node took
        it over in between."""
        call = self._dropped_call(namespace, session, duration)
        if self._session_io("write", call) == 0:
            self._lost(session.sid)

    def take_session(self, namespace: str, pid: Any, offset: Any) -> _Session | None:
        """The session of ``pid``, taken over by this node (the next
        generation: the node that had it can no longer write it), once this
        node has read the stream as far as the session and the client's
        ``offset`` got; ``None`` for anything unknown or malformed."""
        session = st.taken(self._session_io("take", self._take_call(namespace, pid)))
        if session is not None:
            reached = st.offset_seq(offset, session.epoch)
            self._catch_up(namespace, max(session.disconnect_seq or 0, reached))
        return session

    def _handle_takeover(self, message: dict[str, Any]) -> None:
        """Another node restored a session: end this node's stale
        connection of it, if it has one."""
        end_taken_over_sync(
            self.server, message.get("namespace") or "/", message.get("pid"), message.get("gen")
        )

    def _refresh_sessions(self) -> None:
        for call in self._refresh_calls():
            self._session_io("refresh", call)

    def _catch_up(self, namespace: str, seq: int) -> None:
        state = self.__dict__.get(STATE_KEY)
        deadline = time.monotonic() + st.CATCH_UP_SECONDS
        while state is not None and time.monotonic() < deadline:
            position = state.recovery_log.log_position(namespace)
            if position is None or position[1] >= seq:
                return
            time.sleep(0.005)

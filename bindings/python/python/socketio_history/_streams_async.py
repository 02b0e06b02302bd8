"""``AsyncRedisStreamsManager``: the asyncio twin of
``RedisStreamsManager`` (``_streams_sync.py``), over ``redis.asyncio``.
The shared parts are in ``_streams.py``."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from socketio.async_redis_manager import AsyncRedisManager

from . import _streams as st
from ._hook import STATE_KEY
from ._ops import OP
from ._recovery import _Session
from ._recovery_hooks import end_taken_over_async


class AsyncRedisStreamsManager(st.StreamsCommon, AsyncRedisManager):  # type: ignore[misc]
    """The asyncio twin of :class:`RedisStreamsManager`, a drop-in for
    ``socketio.AsyncRedisManager``; the same options and behaviour
    (``await flush()``; there is no flush at exit: await it before the
    event loop ends)."""

    name = "aioredis-streams"

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
        self._started = False
        self._queue: deque[tuple[list[Any], int]] = deque()
        # Set when the queue changed (a message queued, a batch taken or
        # appended); created in the event loop that first uses it.
        self._changed: asyncio.Condition | None = None
        self._appender: asyncio.Task[None] | None = None
        # Session writes waiting for `_write_pending`: (namespace, "sid",
        # sid) to write as it is then, (namespace, "pid", pid) to delete at
        # that generation.
        self._pending: dict[tuple[str, str, str], int | None] = {}
        self._session_writer: asyncio.Task[None] | None = None

    # ---- Redis ---------------------------------------------------------

    async def _with_retry(self, what: str, call: Any) -> Any:
        try:
            return await call(self._client())
        except Exception as exc:
            self._get_logger().error("redis-streams: %s failed, retrying: %s", what, exc)
            self.connected = False
            return await call(self._client())

    # ---- sending -------------------------------------------------------

    async def emit(
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
                return await super().emit(
                    event, data, namespace, room, skip_sid, callback, to, **kwargs
                )
            finally:
                OP.reset(token)
        origin = st.ORIGIN.set(True)
        try:
            return await super().emit(
                event, data, namespace, room, skip_sid, callback, to, **kwargs
            )
        finally:
            st.ORIGIN.reset(origin)

    async def _handle_emit(self, message: Any) -> Any:
        if self._left_to_the_stream(message):
            return None
        return await super()._handle_emit(message)

    # ---- the queue in front of the stream ------------------------------

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _publish(self, data: Any) -> None:
        """See ``RedisStreamsManager._publish``."""
        encoded = self.json.dumps(data)
        item = (st.message_args(encoded, data), len(encoded))
        changed = self._condition()
        async with changed:
            if len(self._queue) >= self.max_queue:
                try:
                    await asyncio.wait_for(
                        changed.wait_for(lambda: len(self._queue) < self.max_queue),
                        self.queue_timeout,
                    )
                except asyncio.TimeoutError:
                    self._stats.dropped += 1
                    self._get_logger().error(
                        "redis-streams: queue full for %.1f s, message dropped (%d so far)",
                        self.queue_timeout,
                        self._stats.dropped,
                    )
                    return
            self._queue.append(item)
            self._stats.queued += 1
            changed.notify_all()
        if self._appender is None or self._appender.done():
            self._appender = asyncio.get_running_loop().create_task(self._append())

    async def _append(self) -> None:
        """See ``RedisStreamsManager._write``."""
        changed = self._condition()
        backoff = st.Backoff()
        while True:
            async with changed:
                await changed.wait_for(lambda: bool(self._queue))
                batch = self._take_batch(self._queue)
                changed.notify_all()
            call = self._batch_call(batch)
            while True:
                try:
                    await call(self._client())
                    break
                except asyncio.CancelledError:
                    raise
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
                    await asyncio.sleep(delay)
            backoff.reset()
            async with changed:
                self._stats.appended += len(batch)
                self._stats.batches += 1
                changed.notify_all()

    def _op_waiter(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def op_done(self, token: Any, result: Any) -> None:
        """See ``RedisStreamsManager.op_done``."""
        future = self._ops.get(token) if isinstance(token, str) else None
        if future is not None and not future.done():
            future.set_result(result)

    async def wait_op(self, token: str, timeout: float) -> Any:
        """See ``RedisStreamsManager.wait_op``."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._ops[token]), timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            self._ops.pop(token, None)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every message queued before the call is in the
        stream; ``False`` if ``timeout`` seconds passed first."""
        changed = self._condition()
        async with changed:
            target = self._stats.queued
            try:
                await asyncio.wait_for(
                    changed.wait_for(lambda: self._stats.appended >= target), timeout
                )
            except asyncio.TimeoutError:
                return False
            return True

    # ---- reading -------------------------------------------------------

    async def _tail(self) -> str:
        newest = await self._with_retry(
            "XREVRANGE", lambda r: r.xrevrange(self.keys.stream, "+", "-", count=1)
        )
        return st.text_of(newest[0][0]) if newest else "0-0"

    async def start(self) -> None:
        """Find the stream's tail before the first room back-fills (the
        reader task would otherwise find it later, after a first ``await``)."""
        if not self.write_only and self.last_id is None:
            try:
                self.last_id = await self._tail()
            except Exception as exc:
                self._get_logger().error("redis-streams: cannot reach Redis: %s", exc)

    async def _thread(self) -> None:
        backoff = st.Backoff()
        registered = False
        # Whether the last read returned entries: while they were delivered,
        # the stream may have moved on by more than maxlen (an XRANGE in the
        # next read's round trip tells).
        read_some = False
        while True:
            try:
                if self.last_id is None:
                    self.last_id = await self._tail()
                if not registered:
                    if self._reads_on():
                        self._rewind(await self._checking_tail(self._client()).execute())
                    end = self._ending_epoch()
                    if end is not None:
                        await end(self._client())
                        self._epoch_to_end = None
                    await self._register_rooms()
                    registered = True
                await self._refresh_sessions()
                replies = await self._reading(self._client(), read_some).execute()
                reply = self._read_reply(replies, read_some)
                backoff.reset()
                read_some = bool(reply)
                for _, entries in reply or ():
                    for entry_id, fields in entries:
                        await self._consume(entry_id, fields)
                        # Delivering seldom suspends (Engine.IO queues
                        # never block): let the server's other work in
                        # between entries of a large read.
                        await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next()
                self._get_logger().error(
                    "redis-streams: cannot read the stream, retrying in %.1f s: %s", delay, exc
                )
                self.connected = False
                registered = False
                await asyncio.sleep(delay)

    async def _register_rooms(self) -> None:
        """Name every room with history here in the cluster's room set again
        (after a lost connection: Redis may have restarted without its
        data, and with it the set)."""
        fields = self._room_fields()
        if fields:
            await self._client().sadd(self.keys.rooms, *fields)

    async def _consume(self, entry_id: Any, fields: Any) -> None:
        entry = self._decode(entry_id, fields)
        if entry is None:
            self.last_id = st.text_of(entry_id)
            return
        message = entry.message
        if message.get("method") == "emit":
            op = st.pending_op(message, self)
            async with self._delivery_lock():
                token = OP.set(st.StreamedEmit(entry, self, op=op))
                try:
                    await super()._handle_emit(message)
                except Exception:
                    self._get_logger().exception("redis-streams: error delivering an emit")
                finally:
                    OP.reset(token)
                self.last_id = entry.id
            return
        self.last_id = entry.id
        try:
            await self._dispatch(message)
        except Exception:
            self._get_logger().exception("redis-streams: error handling %r", message.get("method"))

    async def _dispatch(self, message: dict[str, Any]) -> None:
        handler = self._handler(message)
        if handler is not None:
            await handler(message)

    # ---- history -------------------------------------------------------

    async def history_enabled(self, room: str, namespace: str, enable: Any) -> None:
        """See ``RedisStreamsManager.history_enabled``."""
        state = self.__dict__.get(STATE_KEY)
        if self.write_only or state is None or not isinstance(room, str):
            enable()
            return
        await self.start()
        field = st.room_field(namespace, room)
        added = await self._with_retry("SADD", lambda r: r.sadd(self.keys.rooms, field))
        async with self._delivery_lock():
            fresh = not state.store.is_enabled(room, namespace)
            try:
                enable()
            except Exception:
                if added:  # bad options: the call changes nothing
                    await self._with_retry("SREM", lambda r: r.srem(self.keys.rooms, field))
                raise
            if fresh:
                try:
                    await self._back_fill_room(namespace, room)
                except Exception as exc:
                    self._get_logger().error("redis-streams: back-fill of %r failed: %s", room, exc)

    async def _back_fill_room(self, namespace: str, room: str) -> None:
        end = self.last_id
        start = "-"
        while end is not None and end != "0-0":
            batch = await self._with_retry(
                "XRANGE", lambda r, s=start: r.xrange(self.keys.stream, s, end, count=1_000)
            )
            for entry_id, fields in batch:
                st.back_fill(self, entry_id, fields, namespace, room)
            if len(batch) < 1_000:
                return
            start = "(" + st.text_of(batch[-1][0])

    # ---- connection state recovery ------------------------------------
    # As RedisStreamsManager's. Joins, leaves and departures are seen in
    # synchronous code (python-socketio's room bookkeeping), so their writes
    # wait in `_pending`, the newest per session, for one task to write in
    # order; connects, drops and restores await their writes.

    async def _session_io(self, what: str, call: Any) -> Any:
        if call is None:
            return None
        try:
            return await self._with_retry(what, call)
        except Exception as exc:
            self._get_logger().error("redis-streams: session %s failed: %s", what, exc)
            return None

    async def write_session(self, namespace: str, sid: str, create: bool = False) -> None:
        """See ``RedisStreamsManager.write_session``."""
        if await self._session_io("write", self._put_call(namespace, sid, create)) == 0:
            self._lost(sid)

    def session_changed(self, namespace: str, sid: str) -> None:
        self._queue_session((namespace, "sid", sid), None)

    def session_gone(self, namespace: str, pid: str, fence: int) -> None:
        self._queue_session((namespace, "pid", pid), fence)

    def _queue_session(self, key: tuple[str, str, str], fence: int | None) -> None:
        self._pending.pop(key, None)  # the newest write goes last
        self._pending[key] = fence
        if self._session_writer is None or self._session_writer.done():
            try:
                self._session_writer = asyncio.get_running_loop().create_task(self._write_pending())
            except RuntimeError:  # no event loop here: the write is lost
                self._pending.pop(key, None)
                self._get_logger().error("redis-streams: session write outside the event loop")

    async def _write_pending(self) -> None:
        while self._pending:
            (namespace, kind, ident), fence = next(iter(self._pending.items()))
            del self._pending[(namespace, kind, ident)]
            if kind == "sid":
                await self.write_session(namespace, ident)
            elif fence is not None:
                await self._session_io("delete", self._gone_call(namespace, ident, fence))

    async def put_session(self, namespace: str, session: _Session, duration: float) -> None:
        """See ``RedisStreamsManager.put_session``."""
        call = self._dropped_call(namespace, session, duration)
        if await self._session_io("write", call) == 0:
            self._lost(session.sid)

    async def take_session(self, namespace: str, pid: Any, offset: Any) -> _Session | None:
        """See ``RedisStreamsManager.take_session``."""
        reply = await self._session_io("take", self._take_call(namespace, pid))
        session = st.taken(reply)
        if session is not None:
            reached = st.offset_seq(offset, session.epoch)
            await self._catch_up(namespace, max(session.disconnect_seq or 0, reached))
        return session

    async def _handle_takeover(self, message: dict[str, Any]) -> None:
        await end_taken_over_async(
            self.server, message.get("namespace") or "/", message.get("pid"), message.get("gen")
        )

    async def _refresh_sessions(self) -> None:
        for call in self._refresh_calls():
            await self._session_io("refresh", call)

    async def _catch_up(self, namespace: str, seq: int) -> None:
        state = self.__dict__.get(STATE_KEY)
        deadline = time.monotonic() + st.CATCH_UP_SECONDS
        while state is not None and time.monotonic() < deadline:
            position = state.recovery_log.log_position(namespace)
            if position is None or position[1] >= seq:
                return
            await asyncio.sleep(0.005)

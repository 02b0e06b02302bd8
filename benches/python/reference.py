"""A pure-Python implementation of the core's rules (docs/CONTRACT.md):
what a careful user would write by hand instead of socketio-history. It is
the baseline the benchmarks compare with, so it is written to be correct,
not slow: a dict of deques, deep-copied snapshots (stored and returned),
age-based retention on the monotonic clock, byte accounting by the
contract's size rule, and stats.

Also ``NaiveHistory``: the quick hand-written version (a deque of
references, no snapshot, no TTL, no byte bound) that many apps start with.
"""

from __future__ import annotations

import collections
import copy
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any


def payload_size(data: Any) -> int:
    if isinstance(data, str):
        return len(data.encode())
    if isinstance(data, bytes):
        return len(data)
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


@dataclass(slots=True)
class _Entry:
    event: str
    data: Any
    timestamp: float
    seq: int
    mono: float
    size: int


@dataclass
class _Room:
    max_entries: int
    retention: float | None
    max_bytes: int | None
    cap: int | None
    entries: collections.deque = field(default_factory=collections.deque)
    seq: int = 0
    bytes: int = 0
    evictions_size: int = 0
    evictions_time: int = 0
    evictions_bytes: int = 0
    rejected_oversize: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _pop(self) -> None:
        self.bytes -= self.entries.popleft().size

    def expire(self, now: float) -> None:
        if self.retention:
            while self.entries and now - self.entries[0].mono >= self.retention:
                self._pop()
                self.evictions_time += 1


def _cut(data: Any, cap: int | None) -> tuple[Any, bool]:
    if cap is None or payload_size(data) <= cap:
        return copy.deepcopy(data), False
    if isinstance(data, bytes):
        return data[:cap], True
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return text.encode()[:cap].decode("utf-8", "ignore"), True


class ReferenceHistory:
    def __init__(self) -> None:
        self.rooms: dict[tuple[str, str], _Room] = {}

    def enable(
        self,
        room,
        namespace="/",
        max_entries=100,
        retention_seconds=None,
        payload_size_cap=None,
        max_bytes=None,
    ):
        self.rooms[(namespace, room)] = _Room(
            max_entries, retention_seconds or None, max_bytes, payload_size_cap
        )

    def record(self, room, event, data, namespace="/"):
        r = self.rooms.get((namespace, room))
        if r is None:
            return None
        snapshot = copy.deepcopy(data)
        size = payload_size(snapshot)
        with r.lock:
            now = time.monotonic()
            r.expire(now)
            if r.max_bytes is not None and size > r.max_bytes:
                r.rejected_oversize += 1
                return None
            r.seq += 1
            r.entries.append(_Entry(event, snapshot, time.time(), r.seq, now, size))
            r.bytes += size
            while len(r.entries) > r.max_entries:
                r._pop()
                r.evictions_size += 1
            while r.max_bytes is not None and r.bytes > r.max_bytes:
                r._pop()
                r.evictions_bytes += 1
            return r.seq

    def fetch(
        self,
        room,
        limit=None,
        namespace="/",
        include_events=None,
        exclude_events=None,
        payload_size_cap=None,
        since_seq=None,
        before_seq=None,
    ):
        r = self.rooms.get((namespace, room))
        if r is None:
            return []
        include = {include_events} if isinstance(include_events, str) else include_events
        exclude = {exclude_events} if isinstance(exclude_events, str) else exclude_events
        include = set(include) if include is not None else None
        exclude = set(exclude) if exclude is not None else None
        cap = payload_size_cap if payload_size_cap is not None else r.cap
        with r.lock:
            r.expire(time.monotonic())
            picked = []
            want = len(r.entries) if limit is None else limit
            for e in reversed(r.entries):
                if len(picked) >= want:
                    break
                if since_seq is not None and e.seq <= since_seq:
                    break
                if before_seq is not None and e.seq >= before_seq:
                    continue
                if include is not None and e.event not in include:
                    continue
                if exclude is not None and e.event in exclude:
                    continue
                picked.append(e)
            out = []
            for e in reversed(picked):
                data, truncated = _cut(e.data, cap)
                out.append(
                    {
                        "event": e.event,
                        "data": data,
                        "timestamp": e.timestamp,
                        "seq": e.seq,
                        "truncated": truncated,
                    }
                )
            return out

    def stats(self, room, namespace="/"):
        r = self.rooms.get((namespace, room))
        if r is None:
            return {"enabled": False, "entries_count": 0}
        with r.lock:
            r.expire(time.monotonic())
            return {
                "enabled": True,
                "entries_count": len(r.entries),
                "bytes": r.bytes,
                "evictions_size": r.evictions_size,
                "evictions_time": r.evictions_time,
                "evictions_bytes": r.evictions_bytes,
                "rejected_oversize": r.rejected_oversize,
                "last_seq": r.seq,
            }


class NaiveHistory:
    """A deque of references per room: no snapshot, no TTL, no bytes."""

    def __init__(self) -> None:
        self.rooms: dict[tuple[str, str], collections.deque] = {}

    def enable(self, room, namespace="/", max_entries=100):
        self.rooms[(namespace, room)] = collections.deque(maxlen=max_entries)

    def record(self, room, event, data, namespace="/"):
        d = self.rooms.get((namespace, room))
        if d is not None:
            d.append((event, data, time.time()))

    def fetch(self, room, limit=None, namespace="/"):
        d = self.rooms.get((namespace, room), ())
        items = list(d)[-limit:] if limit else list(d)
        return [{"event": e, "data": x, "timestamp": t} for e, x, t in items]

"""The shapes of what the history methods return, for type annotations."""

from __future__ import annotations

from typing import Any, TypedDict


class Entry(TypedDict):
    """One recorded emit, as a read returns it."""

    event: str
    data: Any
    timestamp: float
    seq: int
    truncated: bool


class Page(TypedDict):
    """A windowed read with the resync signals."""

    entries: list[Entry]
    epoch: str | None
    first_seq: int | None
    last_seq: int
    has_more: bool
    gap: bool


class Stats(TypedDict):
    """A room's counters, sizes and configuration."""

    enabled: bool
    entries_count: int
    bytes: int
    evictions_size: int
    evictions_time: int
    evictions_bytes: int
    rejected_oversize: int
    record_errors: int
    recorded_total: int
    first_seq: int | None
    last_seq: int
    epoch: str | None
    max_entries: int | None
    retention_seconds: float | None
    max_bytes: int | None
    payload_size_cap: int | None

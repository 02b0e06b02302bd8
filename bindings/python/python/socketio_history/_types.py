"""The shapes of what the history methods return, for type annotations."""

from __future__ import annotations

from typing import Any, TypedDict


class _Entry(TypedDict):
    event: str
    data: Any
    timestamp: float
    seq: int
    truncated: bool
    action: str
    message_id: str | None
    version: int | None
    redacted: bool


class Entry(_Entry, total=False):
    """One recorded emit (or operation on a message), as a read returns it;
    ``deleted`` only in the latest view."""

    deleted: bool


class _Mutation(TypedDict):
    message_id: str
    action: str
    version: int
    seq: int
    event: str


class Mutation(_Mutation, total=False):
    """What a message operation emitted (and returns). An append has
    ``fragment`` and ``final`` instead of ``data``."""

    data: Any
    fragment: str
    final: bool


class Message(TypedDict):
    """A mutable message's latest state."""

    message_id: str
    event: str
    data: Any
    version: int
    action: str
    deleted: bool
    streaming: bool
    final: bool
    appends: int
    owner: str | None
    seq: int
    last_seq: int
    created: float
    updated: float


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
    messages: int
    max_message_bytes: int | None
    max_appends: int | None
    max_open_streams: int | None
    mutation_prefix: str | None


class OpenReport(TypedDict):
    """What opening a durable store's directory found: how many records it
    applied, and each torn or corrupt tail it cut off (segment, bytes)."""

    records: int
    dropped: list[tuple[str, int]]

"""Type stubs for the native module (the core's store for Python)."""

import os
from collections.abc import Iterable, Mapping
from typing import Any, Literal, final

from ._types import Entry, Message, Mutation, OpenReport, Page, Stats

__all__ = [
    "CLEAR",
    "DEFAULT_MAX_APPENDS",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "DEFAULT_MAX_OPEN_STREAMS",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_MAX_SESSION_BYTES",
    "DEFAULT_MUTATION_PREFIX",
    "DEFAULT_VERSIONS_LIMIT",
    "KEEP",
    "MAX_DEPTH",
    "SENT_WINDOW",
    "CoarseClock",
    "HistoryStore",
    "ManualClock",
    "Sentinel",
    "_Recorder",
    "_RecoveryLog",
    "_Replayer",
    "__version__",
    "new_epoch",
    "offset_seq",
    "sessions_exceeded",
]

__version__: str

MAX_DEPTH: int
DEFAULT_MAX_ENTRIES: int
DEFAULT_MAX_MESSAGE_BYTES: int
DEFAULT_MAX_APPENDS: int
DEFAULT_MAX_OPEN_STREAMS: int
DEFAULT_MUTATION_PREFIX: str
DEFAULT_VERSIONS_LIMIT: int

@final
class Sentinel:
    """``KEEP`` or ``CLEAR``, for ``update_message``."""

    def __reduce__(self) -> str: ...

KEEP: Sentinel
CLEAR: Sentinel

_Grants = Mapping[str, str | Iterable[str]] | None

_Events = str | Iterable[str] | None

@final
class ManualClock:
    """A clock that moves only when told to, for tests."""

    def __new__(cls, wall: float = 1_700_000_000.0) -> ManualClock: ...
    def advance(self, seconds: float) -> None: ...
    def set_wall(self, wall: float) -> None: ...

@final
class CoarseClock:
    """The system's coarse monotonic clock: cheaper reads, timestamps in
    steps of the kernel's tick (1 to 4 ms on Linux)."""

    def __new__(cls) -> CoarseClock: ...

@final
class HistoryStore:
    """History of Socket.IO rooms, keyed by ``(namespace, room)``, served
    from memory; with ``path``, also kept in a journal under that
    directory."""

    def __new__(
        cls,
        max_total_bytes: int | None = None,
        *,
        clock: ManualClock | CoarseClock | None = None,
        path: str | os.PathLike[str] | None = None,
        sync: Literal["always", "interval", "off"] | None = None,
        sync_interval: float | None = None,
    ) -> HistoryStore: ...
    @property
    def path(self) -> str | None: ...
    @property
    def open_report(self) -> OpenReport | None: ...
    @property
    def journal_error(self) -> str | None: ...
    @property
    def journal_failures(self) -> int: ...
    def sync(self) -> None: ...
    def compact(self) -> None: ...
    def close(self) -> None: ...
    @staticmethod
    def budget_cost(payload_size: int, event: str) -> int: ...
    @property
    def max_total_bytes(self) -> int | None: ...
    @property
    def total_bytes(self) -> int: ...
    def enable(
        self,
        room: str,
        namespace: str | None = None,
        max_entries: int | None = None,
        retention_seconds: float | None = None,
        payload_size_cap: int | None = None,
        max_bytes: int | None = None,
        max_message_bytes: int | None = None,
        max_appends: int | None = None,
        max_open_streams: int | None = None,
        mutation_prefix: str | None = None,
    ) -> None: ...
    def disable(self, room: str, namespace: str | None = None) -> bool: ...
    def is_enabled(self, room: str, namespace: str | None = None) -> bool: ...
    def record(
        self, room: str, event: str, data: Any, namespace: str | None = None
    ) -> int | None: ...
    def fetch(
        self,
        room: str,
        limit: int | None = None,
        namespace: str | None = None,
        include_events: _Events = None,
        exclude_events: _Events = None,
        payload_size_cap: int | None = None,
        since_seq: int | None = None,
        before_seq: int | None = None,
        view: str | None = None,
        since_time: float | None = None,
        until_time: float | None = None,
    ) -> list[Entry]: ...
    def page(
        self,
        room: str,
        limit: int | None = None,
        namespace: str | None = None,
        include_events: _Events = None,
        exclude_events: _Events = None,
        payload_size_cap: int | None = None,
        since_seq: int | None = None,
        before_seq: int | None = None,
        epoch: str | None = None,
        view: str | None = None,
        since_time: float | None = None,
        until_time: float | None = None,
    ) -> Page: ...
    def stats(self, room: str, namespace: str | None = None) -> Stats: ...
    def clear(self, room: str, namespace: str | None = None) -> int: ...
    def rooms(self) -> list[tuple[str, str]]: ...
    def note_record_error(self, room: str, namespace: str | None = None) -> None: ...
    def create_message(
        self,
        room: str,
        event: str,
        data: Any,
        namespace: str | None = None,
        message_id: str | None = None,
        owner: str | None = None,
        dry_run: bool = False,
    ) -> Mutation: ...
    def update_message(
        self,
        room: str,
        message_id: str,
        event: str | Sentinel = ...,
        data: Any = ...,
        namespace: str | None = None,
        actor: str | None = None,
        grants: _Grants = None,
        dry_run: bool = False,
    ) -> Mutation: ...
    def delete_message(
        self,
        room: str,
        message_id: str,
        namespace: str | None = None,
        actor: str | None = None,
        grants: _Grants = None,
        dry_run: bool = False,
    ) -> Mutation: ...
    def append_message(
        self,
        room: str,
        message_id: str,
        fragment: str,
        final: bool = ...,
        namespace: str | None = None,
        actor: str | None = None,
        grants: _Grants = None,
        dry_run: bool = False,
    ) -> Mutation: ...
    def get_message(self, room: str, message_id: str, namespace: str | None = None) -> Message: ...
    def get_message_versions(
        self, room: str, message_id: str, limit: int | None = None, namespace: str | None = None
    ) -> list[Entry]: ...

# ---- private: what the package's hooks use (never the application) ----

@final
class _Recorder:
    """The emit hook's access to a store."""

    def __new__(cls, store: HistoryStore) -> _Recorder: ...
    def last_seq(self, room: str, namespace: str | None = None) -> int | None: ...
    def record_emit(
        self, namespace: str, to: Any, event: Any, data: Any, skip_sid: Any = None
    ) -> None: ...
    def record_emit_logged(
        self,
        namespace: str,
        to: Any,
        event: Any,
        data: Any,
        skip_sid: Any = None,
        message: tuple[str, str] | None = None,
    ) -> str | None: ...
    def record_emit_sequenced(
        self,
        namespace: str,
        to: Any,
        event: Any,
        data: Any,
        skip_sid: Any,
        epoch: str,
        seqs: list[tuple[str, int]],
        log_seq: int | None = None,
        message: tuple[str, str] | None = None,
        timestamp: float | None = None,
    ) -> str | None: ...
    def sequence(self, room: str, namespace: str, epoch: str, seq: int) -> bool | None: ...
    def mutation_prefix(self, room: str, namespace: str | None = None) -> str | None: ...

@final
class _RecoveryLog:
    """Connection state recovery's access to a store."""

    def __new__(cls, store: HistoryStore) -> _RecoveryLog: ...
    def enable_log(self, namespace: str, max_age: float, max_bytes: int | None = None) -> None: ...
    def disable_log(self, namespace: str) -> bool: ...
    def log_position(self, namespace: str) -> tuple[str, int] | None: ...
    def resume(
        self,
        namespace: str,
        epoch: str,
        connect_seq: int,
        sent: list[str],
        sent_base: str | None,
        window_full: bool,
        disconnect_seq: int | None,
        offset: Any,
        member_of: list[str],
        packets: bool = False,
    ) -> list[tuple[str, Any, str]] | tuple[list[str | bytes], list[str]] | str: ...
    def put_session(
        self,
        namespace: str,
        pid: str,
        sid: str,
        rooms: list[str],
        user: Any,
        epoch: str,
        connect_seq: int,
        dropped: tuple[int, list[str], str | None, bool, float] | None = None,
    ) -> bool: ...
    def remove_session(self, namespace: str, pid: str) -> None: ...
    def sessions(
        self,
    ) -> list[
        tuple[
            str,
            str,
            str,
            list[str],
            Any,
            str,
            int,
            list[str],
            str | None,
            bool,
            int,
            float | None,
        ]
    ]: ...

@final
class _Replayer:
    """replay_history's access to a store."""

    def __new__(cls, store: HistoryStore) -> _Replayer: ...
    def entries(
        self,
        room: str,
        limit: int | None = None,
        namespace: str | None = None,
        include_events: _Events = None,
        exclude_events: _Events = None,
        since_seq: int | None = None,
        member_of: list[str] | None = None,
        joined_at: int | None = None,
    ) -> list[Entry]: ...
    def packets(
        self,
        room: str,
        sid: str,
        limit: int | None = None,
        namespace: str | None = None,
        include_events: _Events = None,
        exclude_events: _Events = None,
        since_seq: int | None = None,
        member_of: list[str] | None = None,
        joined_at: int | None = None,
        log: bool = False,
    ) -> tuple[int, list[str | bytes], list[str]]: ...

def new_epoch() -> str: ...
def offset_seq(offset: object, epoch: str) -> int | None: ...
def sessions_exceeded(count: int, size: int, max_sessions: int, max_bytes: int) -> bool: ...

SENT_WINDOW: int
DEFAULT_MAX_SESSIONS: int
DEFAULT_MAX_SESSION_BYTES: int

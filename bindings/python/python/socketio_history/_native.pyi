"""Type stubs for the native module (the core's store for Python)."""

from collections.abc import Iterable
from typing import Any, final

from ._types import Entry, Page, Stats

__all__ = ["DEFAULT_MAX_ENTRIES", "MAX_DEPTH", "HistoryStore", "ManualClock", "__version__"]

__version__: str
MAX_DEPTH: int
DEFAULT_MAX_ENTRIES: int

_Events = str | Iterable[str] | None

@final
class ManualClock:
    """A clock that moves only when told to, for tests."""

    def __new__(cls, wall: float = 1_700_000_000.0) -> ManualClock: ...
    def advance(self, seconds: float) -> None: ...
    def set_wall(self, wall: float) -> None: ...

@final
class HistoryStore:
    """In-memory history of Socket.IO rooms, keyed by ``(namespace, room)``."""

    def __new__(
        cls, max_total_bytes: int | None = None, *, clock: ManualClock | None = None
    ) -> HistoryStore: ...
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
    ) -> list[Entry]: ...
    def _replay_entries(
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
    ) -> Page: ...
    def stats(self, room: str, namespace: str | None = None) -> Stats: ...
    def clear(self, room: str, namespace: str | None = None) -> int: ...
    def rooms(self) -> list[tuple[str, str]]: ...
    def note_record_error(self, room: str, namespace: str | None = None) -> None: ...
    def _last_seq(self, room: str, namespace: str | None = None) -> int | None: ...
    def _record_emit(
        self, namespace: str, to: Any, event: Any, data: Any, skip_sid: Any = None
    ) -> None: ...
    def _record_emit_logged(
        self, namespace: str, to: Any, event: Any, data: Any, skip_sid: Any = None
    ) -> str | None: ...
    def _enable_log(self, namespace: str, max_age: float, max_bytes: int | None = None) -> None: ...
    def _disable_log(self, namespace: str) -> bool: ...
    def _log_position(self, namespace: str) -> tuple[str, int] | None: ...
    def _resume(
        self,
        namespace: str,
        epoch: str,
        connect_seq: int,
        sent: list[str],
        sent_base: str | None,
        window_full: bool,
        disconnect_seq: int,
        offset: Any,
        member_of: list[str],
    ) -> list[tuple[str, Any, str]] | str: ...

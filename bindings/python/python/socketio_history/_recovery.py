"""Connection state recovery for python-socketio servers (the Socket.IO
protocol's own resume: ``pid`` in the CONNECT reply, an offset on every
event, ``pid`` and ``offset`` back in the reconnect's auth).

What a dropped client missed is kept in the history core: one log per
namespace, every emit with its delivery metadata (``_record_emit_logged``),
and the core decides what a resuming client needs (``_resume``). This module
keeps python-socketio's side: the sessions of dropped connections (sid, pid,
rooms, user session, where they stood), the pid in CONNECT replies, which
packets were sent to whom, and the restore itself.

Hooks (``_recovery_hooks.py``, installed on ``socketio.Server`` and
``AsyncServer`` once a server turns recovery on; servers without it run
python-socketio's own code):

* ``_handle_connect``: takes ``pid``/``offset`` out of the auth; restores a
  known session, or lets python-socketio connect a fresh one.
* ``_send_packet``: puts a new ``pid`` into a fresh connection's CONNECT
  reply.
* ``_send_eio_packet``: notes the offset of the event sent to each client.
* ``_handle_eio_disconnect`` marks the transport as lost, and
  ``_handle_disconnect`` then saves the session. A client's own
  ``disconnect()`` (a DISCONNECT packet) and ``sio.disconnect(sid)`` take
  other paths, so they keep nothing: decided by the code path, not by
  python-engineio's reason text (``engine.close()`` on polling reports
  "client disconnect").

Emits take the server's recovery lock around recording and delivery, so
every client receives offsets in increasing order and a restore (under the
same lock) meets live traffic exactly at its boundary.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections import OrderedDict, deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _wire
from ._compat import rooms_of
from ._log import logger, record_failed
from ._native import (
    DEFAULT_MAX_SESSION_BYTES,
    DEFAULT_MAX_SESSIONS,
    SENT_WINDOW,
    sessions_exceeded,
)

if TYPE_CHECKING:
    from ._state import ServerState


# Set while python-socketio handles a lost Engine.IO transport (and a
# takeover): the only path on which a session is kept.
_TRANSPORT_LOST: ContextVar[bool] = ContextVar("socketio_history_transport_lost", default=False)

# A pid is 128 random bits, URL-safe; what clients send back is checked
# against this shape before anything is looked up.
_PID = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")

# Why a recovery failed (docs/CONTRACT.md, "Connection state recovery"),
# besides the core's reasons for a session it cannot resume whole
# ("other_epoch", "bad_offset", "offset_ahead", "evicted").
UNKNOWN_PID = "unknown_pid"
MALFORMED_PID = "malformed_pid"
EXPIRED = "expired"
USED = "used"
SESSION_EVICTED = "session_evicted"
STILL_CONNECTED = "still_connected"
# How many ended sessions' pids are remembered, to tell why a later
# reconnection with one of them fails.
ENDED_MEMORY = 4096


@dataclass
class _Live:
    """A connected socket of a recovery-enabled server."""

    pid: str
    epoch: str
    connect_seq: int
    # The generation of its session in a shared session store (the streams
    # managers' fence; 0 without one).
    fence: int = 0


@dataclass
class _Session:
    """A dropped connection, kept for ``max_disconnection_duration``."""

    sid: str
    pid: str
    rooms: list[str]
    user_session: Any
    epoch: str
    connect_seq: int
    # What it was sent before it dropped (a connected one: nothing yet).
    sent: list[str] = field(default_factory=list)
    sent_base: str | None = None
    window_full: bool = False
    # The log's last seq when it dropped; None for a session that was still
    # connected when the node serving it ended (from a shared store).
    disconnect_seq: int | None = None
    expires: float = math.inf
    cost: int = 0
    # The generation this node holds of it in a shared session store.
    fence: int = 0


def split_auth(data: Any) -> tuple[Any, Any, Any]:
    """``(pid, offset, auth)``: the recovery keys taken out of a CONNECT
    payload; ``auth`` is ``None`` when nothing else is left. Anything that
    is not a dict is the application's auth, untouched."""
    if not isinstance(data, dict) or ("pid" not in data and "offset" not in data):
        return None, None, data
    rest = {k: v for k, v in data.items() if k not in ("pid", "offset")}
    return data.get("pid"), data.get("offset"), rest or None


def emit_args(data: Any) -> list[Any]:
    """An emit's data as python-socketio sends it: a tuple is several
    arguments, ``None`` none."""
    if isinstance(data, tuple):
        return list(data)
    return [] if data is None else [data]


def _with_offset(data: Any, offset: str) -> tuple[Any, ...]:
    return (*emit_args(data), offset)


def _cost(value: Any, depth: int = 0) -> int:
    """A rough size in bytes of what a session keeps (for its byte bound)."""
    if depth > 16:
        return 64
    if isinstance(value, (str, bytes)):
        return 48 + len(value)
    if isinstance(value, dict):
        return 64 + sum(_cost(k, depth + 1) + _cost(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return 56 + sum(_cost(v, depth + 1) for v in value)
    return 32


def _eio_session(server: Any, eio_sid: str) -> dict[str, Any] | None:
    """The Engine.IO session dict of a socket (still there while its
    disconnect is handled); ``None`` once it is gone."""
    sock = server.eio.sockets.get(eio_sid)
    return None if sock is None else sock.session


def check_settings(max_disconnection_duration: Any, max_buffer_bytes: Any) -> float:
    if isinstance(max_disconnection_duration, bool) or not isinstance(
        max_disconnection_duration, (int, float)
    ):
        raise TypeError(
            "max_disconnection_duration must be a number of seconds, not "
            f"{type(max_disconnection_duration).__name__}"
        )
    duration = float(max_disconnection_duration)
    if not math.isfinite(duration) or duration <= 0:
        raise ValueError(f"max_disconnection_duration must be a finite number > 0, got {duration}")
    if max_buffer_bytes is not None and (
        isinstance(max_buffer_bytes, bool) or not isinstance(max_buffer_bytes, int)
    ):
        raise TypeError(
            f"max_buffer_bytes must be an int or None, not {type(max_buffer_bytes).__name__}"
        )
    if max_buffer_bytes is not None and max_buffer_bytes < 1:
        raise ValueError(f"max_buffer_bytes must be at least 1, got {max_buffer_bytes}")
    return duration


class Recovery:
    """One server's recovery state. Its maps are touched under ``lock``."""

    def __init__(
        self,
        server: Any,
        state: ServerState,
        duration: float,
        max_buffer_bytes: int | None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_session_bytes: int = DEFAULT_MAX_SESSION_BYTES,
    ) -> None:
        self.state = state
        # A manager that keeps sessions for every node (the streams
        # managers): sessions then live there only, so each is used once.
        self.shared: Any = (
            server.manager if getattr(server.manager, "shares_sessions", False) else None
        )
        self.duration = duration
        self.max_buffer_bytes = max_buffer_bytes
        self.max_sessions = max_sessions
        self.max_session_bytes = max_session_bytes
        self.lock = state.lock
        self.logs: set[str] = set()
        self.sessions: OrderedDict[tuple[str, str], _Session] = OrderedDict()
        self.session_bytes = 0
        self.live: dict[tuple[str, str], _Live] = {}
        self.by_pid: dict[tuple[str, str], str] = {}
        # Per namespace and Engine.IO socket: the offsets of the events sent
        # to it lately (at most SENT_WINDOW), and for a restored socket the
        # offset it came back with (it has everything up to it).
        self.sent: dict[str, dict[str, deque[str]]] = {}
        self.bases: dict[tuple[str, str], str] = {}
        self.recovered: set[tuple[str, str]] = set()
        # The logged emit being delivered now: its namespace's sent map and
        # its offset (read by the _send_eio_packet hook for each client).
        self.sending: dict[str, deque[str]] | None = None
        self.offset: str | None = None
        self.server = server
        self.keeps = False
        # Pids of sessions that ended, and why (bounded, oldest forgotten).
        self.ended: OrderedDict[tuple[str, str], str] = OrderedDict()
        # Why the recovery of a fresh connection failed: by (namespace,
        # eio_sid) while its connect is handled, then by (namespace, sid).
        self.failing: dict[tuple[str, str], str] = {}
        self.failures: dict[tuple[str, str], str] = {}
        # Clients python-socketio is disconnecting now: it takes them out of
        # their rooms one by one, which must not rewrite their kept session.
        self.leaving: set[tuple[str, str]] = set()
        # (namespace, pid) of dropped connections handed to the shared
        # session store: their sessions stay there when they are forgotten.
        self.handed: set[tuple[str, str]] = set()
        # The lifetime of a shared stream each namespace's log was last in.
        self.stream_epochs: dict[str, str] = {}
        self.take_back_kept()

    # ---- sessions a durable store keeps ------------------------------

    def take_back_kept(self) -> None:
        """With a durable store (and no shared session store), every
        session is also kept there: take back what a previous process kept.
        A session that was still connected when that process ended counts
        as dropped now."""
        self.keeps = self.shared is None and self.state.store.path is not None
        if not self.keeps:
            return
        now_wall, now = time.time(), time.monotonic()
        log = self.state.recovery_log
        for kept in log.sessions():
            (ns, pid, sid, rooms, user, epoch, connect_seq, sent, sent_base, full, dseq, at) = kept
            age = 0.0 if at is None else max(0.0, now_wall - at)
            if age >= self.duration or not _PID.match(pid):
                log.remove_session(ns, pid)
                continue
            session = _Session(
                sid=sid,
                pid=pid,
                rooms=rooms,
                user_session=user,
                epoch=epoch,
                connect_seq=connect_seq,
                sent=sent,
                sent_base=sent_base,
                window_full=full,
                disconnect_seq=dseq,
                expires=now + self.duration - age,
                cost=_cost(rooms) + _cost(user) + 256,
            )
            self.ensure_log(ns)  # the replayed log, with this server's bounds
            if at is None:
                self._keep_dropped(ns, session, now_wall)
            self.sessions[(ns, pid)] = session
            self.session_bytes += session.cost
        self._bound_sessions()

    def _now(self, namespace: str, sid: str) -> tuple[list[str], Any] | None:
        """A connected client's rooms (its sid among them) and user session
        now; ``None`` once the namespace has no clients."""
        manager = self.server.manager
        try:
            eio_sid = manager.eio_sid_from_sid(sid, namespace)
            rooms = rooms_of(manager, sid, namespace)
        except KeyError:  # the namespace has no clients any more
            return None
        if sid not in rooms:
            rooms.append(sid)
        user = (_eio_session(self.server, eio_sid) or {}).get(namespace) if eio_sid else None
        return rooms, user

    def _keep_live(self, namespace: str, sid: str, live: _Live) -> None:
        """Write a connected client's session (at connect, join, leave and
        a saved user session; never per emit)."""
        now = self._now(namespace, sid)
        if now is None:
            return
        rooms, user = now
        if not self.state.recovery_log.put_session(
            namespace, live.pid, sid, rooms, user, live.epoch, live.connect_seq
        ):
            logger.warning("the user session of %s cannot be kept on disk (not JSON-like)", sid)

    def _keep_dropped(self, namespace: str, s: _Session, wall: float) -> None:
        # (A durable store's sessions always know where they dropped.)
        window = (s.disconnect_seq or 0, s.sent, s.sent_base, s.window_full, wall)
        self.state.recovery_log.put_session(
            namespace, s.pid, s.sid, s.rooms, s.user_session, s.epoch, s.connect_seq, window
        )

    def changed(self, namespace: str, sid: str) -> None:
        """A connected client joined or left a room, or saved its user
        session: keep its session as it is now."""
        if (namespace, sid) in self.leaving:
            return
        if self.shared is not None:
            if (namespace, sid) in self.live:
                self.shared.session_changed(namespace, sid)
            return
        if self.keeps:
            live = self.live.get((namespace, sid))
            if live is not None:
                self._keep_live(namespace, sid, live)

    def live_session(self, namespace: str, sid: str) -> _Session | None:
        """A connected client's session as a shared session store keeps it
        (``disconnect_seq`` ``None``); ``None`` once it is leaving or gone."""
        live = self.live.get((namespace, sid))
        if live is None or (namespace, sid) in self.leaving:
            return None
        now = self._now(namespace, sid)
        if now is None:
            return None
        return self._session(sid, live, now)

    @staticmethod
    def _session(sid: str, live: _Live, now: tuple[list[str], Any], **dropped: Any) -> _Session:
        """``live``'s session with its rooms and user session ``now``; a
        dropped one also says what it was sent and where the log stood."""
        rooms, user = now
        return _Session(
            sid=sid,
            pid=live.pid,
            rooms=rooms,
            user_session=user,
            epoch=live.epoch,
            connect_seq=live.connect_seq,
            fence=live.fence,
            **dropped,
        )

    def live_fences(self) -> list[tuple[str, str, int]]:
        """``(namespace, pid, generation)`` of every connected client whose
        session a shared session store keeps."""
        return [(ns, v.pid, v.fence) for (ns, _), v in list(self.live.items()) if v.fence > 0]

    # ---- the log -------------------------------------------------------

    def configure(self, duration: float, max_buffer_bytes: int | None) -> None:
        self.duration = duration
        self.max_buffer_bytes = max_buffer_bytes
        for ns in self.logs:
            self.state.recovery_log.enable_log(ns, duration, max_buffer_bytes)

    def ensure_log(self, namespace: str) -> None:
        if namespace not in self.logs:
            self.state.recovery_log.enable_log(namespace, self.duration, self.max_buffer_bytes)
            self.logs.add(namespace)

    def store_changed(self) -> None:
        """The server was given another store: its logs start there anew
        (sessions of the old one no longer resume), and what it kept is
        taken back."""
        self.logs.clear()
        self.sessions.clear()
        self.session_bytes = 0
        self.take_back_kept()

    def close(self) -> None:
        if self.keeps:
            for ns, pid in list(self.sessions) + [(ns, v.pid) for (ns, _), v in self.live.items()]:
                self.state.recovery_log.remove_session(ns, pid)
        for ns in self.logs:
            self.state.recovery_log.disable_log(ns)
        self.logs.clear()
        self.sessions.clear()
        self.session_bytes = 0
        self.live.clear()
        self.by_pid.clear()
        self.handed.clear()
        self.sent.clear()
        self.bases.clear()
        self.recovered.clear()

    def record(
        self,
        namespace: str,
        target: Any,
        event: Any,
        data: Any,
        skip_sid: Any,
        message: tuple[str, str] | None = None,
        at: tuple[str, list[tuple[str, int]], int, float] | None = None,
    ) -> Any:
        """Log an emit (and record it in its rooms); the data to send, with
        the offset as its last argument when it was logged. With ``message``
        (room, id) it is an operation on that message, already applied to
        the room: only the log records it. With ``at`` (epoch, room seqs,
        log seq, timestamp) the positions come from a shared stream."""
        self.ensure_log(namespace)
        try:
            if at is None:
                offset = self.state.recorder.record_emit_logged(
                    namespace, target, event, data, skip_sid, message
                )
            else:
                epoch, seqs, log_seq, timestamp = at
                if self.stream_epochs.get(namespace) != epoch:
                    self._new_lifetime(namespace, epoch, log_seq)
                offset = self.state.recorder.record_emit_sequenced(
                    namespace, target, event, data, skip_sid, epoch, seqs, log_seq, message,
                    timestamp,
                )  # fmt: skip
        except BaseException as e:
            record_failed(e, event, target, namespace)
            offset = None
        if offset is None:
            self.sending = None
            return data
        self.sending = self.sent.setdefault(namespace, {})
        self.offset = offset
        return _with_offset(data, offset)

    def _new_lifetime(self, namespace: str, epoch: str, first: int) -> None:
        """The namespace's log takes a shared stream's lifetime ``epoch``,
        first at log seq ``first``. A connected client that missed nothing
        of the log's old lifetime (it connected after its last event; say,
        before this node read anything of the stream) carries over: it
        connected just before ``first``, so it resumes anywhere. (Under the
        delivery lock, like every streamed emit.)"""
        self.stream_epochs[namespace] = epoch
        old = self.state.recovery_log.log_position(namespace)
        if old is None or old[0] == epoch:
            return
        for (ns, sid), live in list(self.live.items()):
            if ns == namespace and (live.epoch, live.connect_seq) == old:
                live.epoch, live.connect_seq = epoch, first - 1
                self.changed(ns, sid)

    def note_sent(self, eio_sid: str) -> None:
        """The logged emit being delivered went to ``eio_sid``. (The send
        hook does the same inline: it runs once per client of every emit.)"""
        sending = self.sending
        if sending is not None:
            sent = sending.get(eio_sid)
            if sent is None:
                sent = sending[eio_sid] = deque(maxlen=SENT_WINDOW)
            sent.append(self.offset)  # type: ignore[arg-type]

    # ---- connections ---------------------------------------------------

    def connected(self, namespace: str, sid: str, eio_sid: str, pid: str | None = None) -> str:
        """Register a connected socket (its CONNECT reply is going out now);
        returns its pid."""
        self.ensure_log(namespace)
        pid = pid or secrets.token_urlsafe(16)
        epoch, seq = self.state.recovery_log.log_position(namespace) or ("", 0)
        # A fresh session is the first generation in a shared store (the
        # caller writes it there before the CONNECT reply goes out).
        fence = 1 if self.shared is not None else 0
        live = self.live[(namespace, sid)] = _Live(pid, epoch, seq, fence)
        self.by_pid[(namespace, pid)] = sid
        if self.keeps:
            self._keep_live(namespace, sid, live)
        return pid

    def forget(self, namespace: str, sid: str | None, eio_sid: str) -> None:
        self.sent.get(namespace, {}).pop(eio_sid, None)
        self.bases.pop((namespace, eio_sid), None)
        if sid is None:
            return
        live = self.live.pop((namespace, sid), None)
        if live is not None and self.shared is not None:
            # Gone for good unless its session was handed over on a drop.
            if (namespace, live.pid) in self.handed:
                self.handed.discard((namespace, live.pid))
            elif live.fence > 0:
                self.shared.session_gone(namespace, live.pid, live.fence)
        if live is not None and self.by_pid.get((namespace, live.pid)) == sid:
            del self.by_pid[(namespace, live.pid)]
            if self.keeps and (namespace, live.pid) not in self.sessions:
                # Gone for good (it left, was refused or disconnected), not
                # dropped: nothing to recover.
                self.state.recovery_log.remove_session(namespace, live.pid)
        self.recovered.discard((namespace, sid))
        self.failures.pop((namespace, sid), None)

    def save(self, eio_sid: str, namespace: str, sid: str) -> _Session | None:
        """Keep a socket whose transport was lost, before python-socketio
        takes it out of its rooms. With a shared session store the session
        is returned for the caller to put there (it does I/O) instead."""
        live = self.live.get((namespace, sid))
        if live is None:  # connected before recovery was turned on
            return None
        position = self.state.recovery_log.log_position(namespace)
        now = self._now(namespace, sid)
        if position is None or position[0] != live.epoch or now is None:
            return None
        rooms, user_session = now
        sent = self.sent.get(namespace, {}).get(eio_sid) or deque()
        session = self._session(
            sid,
            live,
            now,
            sent=list(sent),
            sent_base=self.bases.get((namespace, eio_sid)),
            window_full=len(sent) == SENT_WINDOW,
            disconnect_seq=position[1],
            expires=time.monotonic() + self.duration,
            cost=_cost(rooms) + _cost(user_session) + 256,
        )
        if self.shared is not None:
            self.handed.add((namespace, live.pid))
            return session
        key = (namespace, live.pid)
        old = self.sessions.pop(key, None)
        if old is not None:
            self.session_bytes -= old.cost
        self.sessions[key] = session
        self.session_bytes += session.cost
        if self.keeps:
            self._keep_dropped(namespace, session, time.time())
        self._bound_sessions()
        return None

    def _bound_sessions(self) -> None:
        now = time.monotonic()
        while self.sessions:
            key, oldest = next(iter(self.sessions.items()))
            over = sessions_exceeded(
                len(self.sessions), self.session_bytes, self.max_sessions, self.max_session_bytes
            )
            if not over and oldest.expires > now:
                return
            del self.sessions[key]
            self.session_bytes -= oldest.cost
            self._ended(key, SESSION_EVICTED if oldest.expires > now else EXPIRED)
            if self.keeps:
                self.state.recovery_log.remove_session(*key)

    def _ended(self, key: tuple[str, str], why: str) -> None:
        self.ended[key] = why
        self.ended.move_to_end(key)
        while len(self.ended) > ENDED_MEMORY:
            self.ended.popitem(last=False)

    def take(self, namespace: str, pid: Any) -> _Session | str:
        """The saved session of ``pid``, removed (a session is used once),
        or why there is none (a reason code)."""
        self._bound_sessions()
        if not isinstance(pid, str) or not _PID.match(pid):
            return MALFORMED_PID
        session = self.sessions.pop((namespace, pid), None)
        if session is None:
            return self.ended.get((namespace, pid), UNKNOWN_PID)
        self.session_bytes -= session.cost
        self._ended((namespace, pid), USED)
        if self.keeps:  # used once: written again if the restore succeeds
            self.state.recovery_log.remove_session(namespace, pid)
        return session

    def failed(self, namespace: str, eio_sid: str, pid: Any, why: str) -> None:
        """A reconnection's recovery failed: it connects afresh."""
        logger.info("connection state not recovered (pid %r): %s", pid, why)
        self.failing[(namespace, eio_sid)] = why

    def connected_after_failure(self, namespace: str, eio_sid: str, sid: str | None) -> None:
        why = self.failing.pop((namespace, eio_sid), None)
        if why is not None and sid is not None:
            self.failures[(namespace, sid)] = why

    def failure(self, namespace: str, sid: str) -> str | None:
        """Why the connection ``sid`` was not recovered (``None``: it was,
        or it did not ask to be)."""
        why = self.failures.get((namespace, sid))
        if why is None:  # still in its connect handler
            eio_sid = self.server.manager.eio_sid_from_sid(sid, namespace)
            why = self.failing.get((namespace, eio_sid)) if eio_sid else None
        return why

    def live_sid(self, namespace: str, pid: Any) -> str | None:
        if not isinstance(pid, str) or not _PID.match(pid):
            return None
        return self.by_pid.get((namespace, pid))

    def missed(
        self, server: Any, namespace: str, session: _Session, offset: Any
    ) -> tuple[list[_wire.Message], list[str]] | str:
        """What the session missed: the Engine.IO messages that restore it
        and the offsets of its events; or why it cannot be resumed whole
        (the core's reason code)."""
        point = (
            namespace,
            session.epoch,
            session.connect_seq,
            session.sent,
            session.sent_base,
            session.window_full,
            session.disconnect_seq,
            offset,
            session.rooms,
        )
        native = _wire.native(server)
        result = self.state.recovery_log.resume(*point, packets=native)
        if isinstance(result, str):
            return result
        if isinstance(result, tuple):  # packets
            return result
        events = [(event, [*emit_args(data), off]) for event, data, off in result]
        return _wire.encoded(server, namespace, events), [off for _, _, off in result]

    def note_sent_all(self, namespace: str, eio_sid: str, offsets: list[str]) -> None:
        """The events with these offsets are being sent to ``eio_sid``."""
        if offsets:
            sent = self.sent.setdefault(namespace, {})
            window = sent.get(eio_sid)
            if window is None:
                window = sent[eio_sid] = deque(maxlen=SENT_WINDOW)
            window.extend(offsets)

    def restored(
        self, namespace: str, session: _Session, eio_sid: str, offset: Any, offsets: list[str]
    ) -> None:
        """Bookkeeping of a restored socket: it was sent the missed events
        (with ``offsets``), and has everything up to the offset it came back
        with."""
        live = _Live(session.pid, session.epoch, session.connect_seq, session.fence)
        self.live[(namespace, session.sid)] = live
        self.by_pid[(namespace, session.pid)] = session.sid
        base = offset if isinstance(offset, str) else session.sent_base
        if base is not None:
            self.bases[(namespace, eio_sid)] = base
        self.sent.setdefault(namespace, {})[eio_sid] = deque(offsets, SENT_WINDOW)
        self.recovered.add((namespace, session.sid))
        if self.keeps:
            self._keep_live(namespace, session.sid, live)

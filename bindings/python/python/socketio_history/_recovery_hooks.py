"""The python-socketio side of connection state recovery: the hooks on
``socketio.Server`` and ``socketio.AsyncServer`` (twins, one per server kind)
and the restore itself. See ``_recovery.py`` for the state they keep.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any

import socketio
from socketio import exceptions, packet

from . import _wire
from ._hook import STATE_KEY
from ._native import SENT_WINDOW
from ._patch import hook
from ._recovery import (
    _PID,
    _TRANSPORT_LOST,
    MALFORMED_PID,
    STILL_CONNECTED,
    UNKNOWN_PID,
    Recovery,
    _eio_session,
    _Session,
    split_auth,
)
from ._state import state_of


def enable(server: Any, duration: float, max_buffer_bytes: int | None) -> Recovery:
    """Turn recovery on for ``server`` (or reconfigure it)."""
    state = state_of(server)
    rec = state.recovery
    if rec is not None:
        rec.configure(duration, max_buffer_bytes)
        return rec
    _patch_sync(socketio.Server)
    _patch_async(socketio.AsyncServer)
    # python-engineio holds the bound method it was given at construction:
    # hand it the hooked one.
    server.eio.on("disconnect", server._handle_eio_disconnect)
    rec = Recovery(server, state, duration, max_buffer_bytes)
    rec.ensure_log("/")  # validates the settings in the core too
    state.recovery = rec
    return rec


def disable(server: Any) -> None:
    state = server.__dict__.get(STATE_KEY)
    rec = None if state is None else state.recovery
    if rec is not None:
        state.recovery = None
        rec.close()


def recovery_of(server: Any) -> Recovery | None:
    """The server's recovery state, ``None`` while recovery is off."""
    state = server.__dict__.get(STATE_KEY)
    return None if state is None else state.recovery


def _shared_or_kept(rec: Recovery, namespace: str, pid: Any, shared: Any) -> _Session | str:
    """The session to restore (a streams manager's from Redis, else this
    server's own), or why there is none."""
    if rec.shared is None:
        return rec.take(namespace, pid)
    if shared is not None:
        return shared  # type: ignore[no-any-return]
    return UNKNOWN_PID if isinstance(pid, str) and _PID.match(pid) else MALFORMED_PID


def _refusal(exc: BaseException | None) -> Any:
    if isinstance(exc, exceptions.ConnectionRefusedError):
        return exc.error_args
    if isinstance(exc, ConnectionRefusedError):
        return {"message": "Connection refused by server"}
    return exceptions.ConnectionRefusedError().error_args


def _enter_rooms(manager: Any, session: _Session, namespace: str, eio_sid: str) -> None:
    manager.basic_enter_room(session.sid, namespace, None, eio_sid=eio_sid)
    for room in session.rooms:
        manager.basic_enter_room(session.sid, namespace, room, eio_sid=eio_sid)


def _restorable(server: Any, namespace: str, eio_sid: str, session: _Session) -> bool:
    manager = server.manager
    return not manager.is_connected(session.sid, namespace) and (
        manager.sid_from_eio_sid(eio_sid, namespace) is None
    )


def _still_used(server: Any, eio_sid: str) -> bool:
    """Whether any namespace still has a socket on this Engine.IO connection."""
    manager = server.manager
    return any(manager.sid_from_eio_sid(eio_sid, n) for n in manager.get_namespaces())


def _connect_reply(server: Any, namespace: str, session: _Session) -> Any:
    return server.packet_class(
        packet.CONNECT, {"sid": session.sid, "pid": session.pid}, namespace=namespace
    )


# ---- socketio.Server ---------------------------------------------------


def _connect_handler_sync(server: Any, namespace: str, sid: str, eio_sid: str, auth: Any) -> Any:
    """Run the connect handler as python-socketio does (the legacy
    two-argument form when there is no auth); ``(success, reason)``."""
    environ = server.environ.get(eio_sid, {})
    try:
        if auth:
            return server._trigger_event("connect", namespace, sid, environ, auth), None
        try:
            return server._trigger_event("connect", namespace, sid, environ, None), None
        except TypeError as first:
            try:
                return server._trigger_event("connect", namespace, sid, environ), None
            except TypeError:
                raise first from None
    except (exceptions.ConnectionRefusedError, ConnectionRefusedError) as exc:
        return False, exc


def _takeover_sync(server: Any, rec: Recovery, namespace: str, pid: Any, eio_sid: str) -> None:
    """A reconnect while the old connection still looks open (its drop went
    unnoticed): end the old one as a lost transport, which keeps its
    session, and close its Engine.IO socket once nothing else uses it."""
    sid = rec.live_sid(namespace, pid)
    if sid is None or not server.manager.is_connected(sid, namespace):
        return
    old_eio = server.manager.eio_sid_from_sid(sid, namespace)
    if old_eio is None or old_eio == eio_sid:
        return
    _end_connection_sync(server, namespace, old_eio, keep=True)


def _end_connection_sync(server: Any, namespace: str, old_eio: str, keep: bool) -> None:
    """End a connection whose client came back elsewhere, as a lost
    transport (``keep``: its session is kept for the new one), and close
    its Engine.IO socket once nothing else uses it."""
    token = _TRANSPORT_LOST.set(keep)
    try:
        server._handle_disconnect(old_eio, namespace, server.reason.TRANSPORT_CLOSE)
    finally:
        _TRANSPORT_LOST.reset(token)
    sock = server.eio.sockets.get(old_eio)
    if sock is not None and not _still_used(server, old_eio):
        # Not eio.disconnect(): it waits for the dead client to fetch the close.
        sock.close(wait=False)
        server.eio.sockets.pop(old_eio, None)


def _taken_over(server: Any, namespace: str, pid: Any, gen: Any) -> str | None:
    """The Engine.IO sid of this node's connection whose session another
    node has since taken over (restored at generation ``gen``), if any."""
    rec = recovery_of(server)
    sid = rec.live_sid(namespace, pid) if rec is not None else None
    live = rec.live.get((namespace, sid)) if rec is not None and sid is not None else None
    if live is None or not isinstance(gen, int) or live.fence <= 0 or live.fence >= gen:
        return None
    return server.manager.eio_sid_from_sid(sid, namespace)  # type: ignore[no-any-return]


def end_taken_over_sync(server: Any, namespace: str, pid: Any, gen: Any) -> None:
    """Another node restored the session of ``pid``: end this node's stale
    connection of it, keeping nothing (the session is that node's now)."""
    old_eio = _taken_over(server, namespace, pid, gen)
    if old_eio is not None:
        _end_connection_sync(server, namespace, old_eio, keep=False)


def _restore_sync(
    server: Any, rec: Recovery, eio_sid: str, namespace: str, pid: Any, offset: Any, auth: Any
) -> str | None:
    """Restore a dropped session onto this connection: its sid, rooms and
    user session, the missed events, then the CONNECT reply, then the
    connect handler; ``None``. When it cannot be restored whole, why (a
    reason code; nothing changed but the session being used up)."""
    _takeover_sync(server, rec, namespace, pid, eio_sid)
    shared = None
    if rec.shared is not None:
        # Outside the lock: the stream reader delivers under it, and this
        # node may still have to read as far as the client got elsewhere.
        shared = rec.shared.take_session(namespace, pid, offset)
    with rec.lock:
        session = _shared_or_kept(rec, namespace, pid, shared)
        why = _resume_sync(server, rec, eio_sid, namespace, session, offset)
    if shared is not None:  # this node holds it now: written as it is, or gone
        if why is None:
            rec.shared.write_session(namespace, shared.sid)
        else:
            rec.shared.session_gone(namespace, shared.pid, shared.fence)
    if why is not None or isinstance(session, str):
        return why
    success, exc = _connect_handler_sync(server, namespace, session.sid, eio_sid, auth)
    if success is False:
        server._send_packet(
            eio_sid, server.packet_class(packet.DISCONNECT, data=_refusal(exc), namespace=namespace)
        )
        server.manager.disconnect(session.sid, namespace, ignore_queue=True)
        rec.forget(namespace, session.sid, eio_sid)
    return None


def _prepared(
    server: Any, rec: Recovery, eio_sid: str, namespace: str, session: _Session, offset: Any
) -> tuple[list[_wire.Message], list[str]] | str:
    """The restore's first half, under the recovery lock: what the session
    missed (the messages and their offsets), its rooms and user session
    taken back; or why it cannot be restored (nothing changed)."""
    if not _restorable(server, namespace, eio_sid, session):
        return STILL_CONNECTED
    missed = rec.missed(server, namespace, session, offset)
    if isinstance(missed, str):
        return missed
    _enter_rooms(server.manager, session, namespace, eio_sid)
    eio_session = _eio_session(server, eio_sid)
    if eio_session is not None and session.user_session is not None:
        eio_session[namespace] = session.user_session
    return missed


def _resume_sync(
    server: Any, rec: Recovery, eio_sid: str, namespace: str, session: _Session | str, offset: Any
) -> str | None:
    """The restore under the recovery lock: rooms, user session, the missed
    events, the CONNECT reply; or why not (nothing changed)."""
    if isinstance(session, str):
        return session
    missed = _prepared(server, rec, eio_sid, namespace, session, offset)
    if isinstance(missed, str):
        return missed
    messages, offsets = missed
    _wire.send(server, eio_sid, messages)
    server._send_packet(eio_sid, _connect_reply(server, namespace, session))
    rec.restored(namespace, session, eio_sid, offset, offsets)
    return None


def _patch_sync(cls: Any) -> None:
    """Hook ``socketio.Server``: connecting, and losing a connection."""
    _patch_sync_connect(cls)
    _patch_sync_disconnect(cls)


def _patch_sync_connect(cls: Any) -> None:

    def wrap_handle_connect(handle_connect: Any) -> Any:
        @functools.wraps(handle_connect)
        def _handle_connect(self: Any, eio_sid: str, namespace: Any, data: Any) -> Any:
            rec = recovery_of(self)
            if rec is None:
                return handle_connect(self, eio_sid, namespace, data)
            ns = namespace or "/"
            pid, offset, auth = split_auth(data)
            if pid is not None:
                why = _restore_sync(self, rec, eio_sid, ns, pid, offset, auth)
                if why is None:
                    return None
                rec.failed(ns, eio_sid, pid, why)
            result = handle_connect(self, eio_sid, namespace, auth)
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            rec.connected_after_failure(ns, eio_sid, sid)
            if sid is None or not self.manager.is_connected(sid, ns):
                rec.forget(ns, sid, eio_sid)  # refused
            return result

        return _handle_connect

    hook(cls, "_handle_connect", wrap_handle_connect)

    def wrap_send_packet(send_packet: Any) -> Any:
        @functools.wraps(send_packet)
        def _send_packet(self: Any, eio_sid: str, pkt: Any) -> Any:
            # Every packet python-socketio sends per client passes here:
            # the packet type first, then the state.
            if (
                pkt.packet_type == packet.CONNECT
                and (rec := recovery_of(self)) is not None
                and isinstance(pkt.data, dict)
                and "sid" in pkt.data
                and "pid" not in pkt.data
            ):
                ns, sid = pkt.namespace or "/", pkt.data["sid"]
                pkt.data = {**pkt.data, "pid": rec.connected(ns, sid, eio_sid)}
                if rec.shared is not None:  # kept from before the reply goes out
                    rec.shared.write_session(ns, sid, create=True)
            return send_packet(self, eio_sid, pkt)

        return _send_packet

    hook(cls, "_send_packet", wrap_send_packet)

    def wrap_send_eio_packet(send_eio_packet: Any) -> Any:
        @functools.wraps(send_eio_packet)
        def _send_eio_packet(self: Any, eio_sid: str, eio_pkt: Any) -> Any:
            # Once per client of every emit: the state's lookup and
            # rec.note_sent, inlined (a function call here costs ~3%).
            state = self.__dict__.get(STATE_KEY)
            rec = state.recovery if state is not None else None
            if rec is not None and (sending := rec.sending) is not None:
                sent = sending.get(eio_sid)
                if sent is None:
                    sent = sending[eio_sid] = deque(maxlen=SENT_WINDOW)
                sent.append(rec.offset)
            return send_eio_packet(self, eio_sid, eio_pkt)

        return _send_eio_packet

    hook(cls, "_send_eio_packet", wrap_send_eio_packet)


def _patch_sync_disconnect(cls: Any) -> None:

    def wrap_handle_eio_disconnect(handle_eio_disconnect: Any) -> Any:
        @functools.wraps(handle_eio_disconnect)
        def _handle_eio_disconnect(self: Any, eio_sid: str, reason: Any = None) -> Any:
            # The server's own close of a transport is no loss to recover from.
            token = _TRANSPORT_LOST.set(reason != self.reason.SERVER_DISCONNECT)
            try:
                return handle_eio_disconnect(self, eio_sid, reason)
            finally:
                _TRANSPORT_LOST.reset(token)

        return _handle_eio_disconnect

    hook(cls, "_handle_eio_disconnect", wrap_handle_eio_disconnect)

    def wrap_handle_disconnect(handle_disconnect: Any) -> Any:
        @functools.wraps(handle_disconnect)
        def _handle_disconnect(self: Any, eio_sid: str, namespace: Any, reason: Any = None) -> Any:
            rec = recovery_of(self)
            if rec is None:
                return handle_disconnect(self, eio_sid, namespace, reason)
            ns = namespace or "/"
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            rec.leaving.add((ns, sid))  # from now on its session is not rewritten
            if sid is not None and _TRANSPORT_LOST.get() and self.manager.is_connected(sid, ns):
                with rec.lock:
                    session = rec.save(eio_sid, ns, sid)
                if session is not None:  # kept by the manager, before the disconnect completes
                    rec.shared.put_session(ns, session, rec.duration)
            try:
                return handle_disconnect(self, eio_sid, namespace, reason)
            finally:
                rec.leaving.discard((ns, sid))
                rec.forget(ns, sid, eio_sid)

        return _handle_disconnect

    hook(cls, "_handle_disconnect", wrap_handle_disconnect)

    def wrap_disconnect(disconnect: Any) -> Any:
        @functools.wraps(disconnect)
        def _disconnect(
            self: Any, sid: str, namespace: Any = None, ignore_queue: bool = False
        ) -> Any:
            rec = recovery_of(self)
            ns = namespace or "/"
            eio_sid = self.manager.eio_sid_from_sid(sid, ns) if rec is not None else None
            if rec is not None:
                rec.leaving.add((ns, sid))
            try:
                return disconnect(self, sid, namespace, ignore_queue)
            finally:
                if rec is not None:
                    rec.leaving.discard((ns, sid))
                    if eio_sid is not None:
                        rec.forget(ns, sid, eio_sid)

        return _disconnect

    hook(cls, "disconnect", wrap_disconnect)

    def wrap_save_session(save_session: Any) -> Any:
        @functools.wraps(save_session)
        def _save_session(self: Any, sid: str, session: Any, namespace: Any = None) -> Any:
            result = save_session(self, sid, session, namespace)
            rec = recovery_of(self)
            if rec is not None:  # a durable store keeps it for a restart
                rec.changed(namespace or "/", sid)
            return result

        return _save_session

    hook(cls, "save_session", wrap_save_session)


# ---- socketio.AsyncServer ----------------------------------------------


async def _connect_handler_async(
    server: Any, namespace: str, sid: str, eio_sid: str, auth: Any
) -> Any:
    environ = server.environ.get(eio_sid, {})
    try:
        if auth:
            return await server._trigger_event("connect", namespace, sid, environ, auth), None
        try:
            return await server._trigger_event("connect", namespace, sid, environ, None), None
        except TypeError as first:
            try:
                return await server._trigger_event("connect", namespace, sid, environ), None
            except TypeError:
                raise first from None
    except (exceptions.ConnectionRefusedError, ConnectionRefusedError) as exc:
        return False, exc


async def _takeover_async(
    server: Any, rec: Recovery, namespace: str, pid: Any, eio_sid: str
) -> None:
    sid = rec.live_sid(namespace, pid)
    if sid is None or not server.manager.is_connected(sid, namespace):
        return
    old_eio = server.manager.eio_sid_from_sid(sid, namespace)
    if old_eio is None or old_eio == eio_sid:
        return
    await _end_connection_async(server, namespace, old_eio, keep=True)


async def _end_connection_async(server: Any, namespace: str, old_eio: str, keep: bool) -> None:
    token = _TRANSPORT_LOST.set(keep)
    try:
        await server._handle_disconnect(old_eio, namespace, server.reason.TRANSPORT_CLOSE)
    finally:
        _TRANSPORT_LOST.reset(token)
    sock = server.eio.sockets.get(old_eio)
    if sock is not None and not _still_used(server, old_eio):
        # Not eio.disconnect(): it waits for the dead client to fetch the close.
        await sock.close(wait=False)
        server.eio.sockets.pop(old_eio, None)


async def end_taken_over_async(server: Any, namespace: str, pid: Any, gen: Any) -> None:
    """The asyncio twin of ``end_taken_over_sync``."""
    old_eio = _taken_over(server, namespace, pid, gen)
    if old_eio is not None:
        await _end_connection_async(server, namespace, old_eio, keep=False)


async def _restore_async(
    server: Any, rec: Recovery, eio_sid: str, namespace: str, pid: Any, offset: Any, auth: Any
) -> str | None:
    await _takeover_async(server, rec, namespace, pid, eio_sid)
    shared = None
    if rec.shared is not None:
        shared = await rec.shared.take_session(namespace, pid, offset)
    async with rec.lock:
        session = _shared_or_kept(rec, namespace, pid, shared)
        why = await _resume_async(server, rec, eio_sid, namespace, session, offset)
    if shared is not None:
        if why is None:
            await rec.shared.write_session(namespace, shared.sid)
        else:
            rec.shared.session_gone(namespace, shared.pid, shared.fence)
    if why is not None or isinstance(session, str):
        return why
    success, exc = await _connect_handler_async(server, namespace, session.sid, eio_sid, auth)
    if success is False:
        await server._send_packet(
            eio_sid, server.packet_class(packet.DISCONNECT, data=_refusal(exc), namespace=namespace)
        )
        await server.manager.disconnect(session.sid, namespace, ignore_queue=True)
        rec.forget(namespace, session.sid, eio_sid)
    return None


async def _resume_async(
    server: Any, rec: Recovery, eio_sid: str, namespace: str, session: _Session | str, offset: Any
) -> str | None:
    if isinstance(session, str):
        return session
    missed = _prepared(server, rec, eio_sid, namespace, session, offset)
    if isinstance(missed, str):
        return missed
    messages, offsets = missed
    await _wire.send_async(server, eio_sid, messages)
    await server._send_packet(eio_sid, _connect_reply(server, namespace, session))
    rec.restored(namespace, session, eio_sid, offset, offsets)
    return None


def _patch_async(cls: Any) -> None:
    """Hook ``socketio.AsyncServer``, as ``patch_sync`` does the sync one."""
    _patch_async_connect(cls)
    _patch_async_disconnect(cls)


def _patch_async_connect(cls: Any) -> None:

    def wrap_handle_connect(handle_connect: Any) -> Any:
        @functools.wraps(handle_connect)
        async def _handle_connect(self: Any, eio_sid: str, namespace: Any, data: Any) -> Any:
            rec = recovery_of(self)
            if rec is None:
                return await handle_connect(self, eio_sid, namespace, data)
            ns = namespace or "/"
            pid, offset, auth = split_auth(data)
            if pid is not None:
                why = await _restore_async(self, rec, eio_sid, ns, pid, offset, auth)
                if why is None:
                    return None
                rec.failed(ns, eio_sid, pid, why)
            result = await handle_connect(self, eio_sid, namespace, auth)
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            rec.connected_after_failure(ns, eio_sid, sid)
            if sid is None or not self.manager.is_connected(sid, ns):
                rec.forget(ns, sid, eio_sid)
            return result

        return _handle_connect

    hook(cls, "_handle_connect", wrap_handle_connect)

    def wrap_send_packet(send_packet: Any) -> Any:
        @functools.wraps(send_packet)
        async def _send_packet(self: Any, eio_sid: str, pkt: Any) -> Any:
            # Every packet python-socketio sends per client passes here:
            # the packet type first, then the state.
            if (
                pkt.packet_type == packet.CONNECT
                and (rec := recovery_of(self)) is not None
                and isinstance(pkt.data, dict)
                and "sid" in pkt.data
                and "pid" not in pkt.data
            ):
                ns, sid = pkt.namespace or "/", pkt.data["sid"]
                pkt.data = {**pkt.data, "pid": rec.connected(ns, sid, eio_sid)}
                if rec.shared is not None:  # kept from before the reply goes out
                    await rec.shared.write_session(ns, sid, create=True)
            return await send_packet(self, eio_sid, pkt)

        return _send_packet

    hook(cls, "_send_packet", wrap_send_packet)

    def wrap_send_eio_packet(send_eio_packet: Any) -> Any:
        @functools.wraps(send_eio_packet)
        async def _send_eio_packet(self: Any, eio_sid: str, eio_pkt: Any) -> Any:
            state = self.__dict__.get(STATE_KEY)
            rec = state.recovery if state is not None else None
            if rec is not None and (sending := rec.sending) is not None:
                sent = sending.get(eio_sid)
                if sent is None:
                    sent = sending[eio_sid] = deque(maxlen=SENT_WINDOW)
                sent.append(rec.offset)
            return await send_eio_packet(self, eio_sid, eio_pkt)

        return _send_eio_packet

    hook(cls, "_send_eio_packet", wrap_send_eio_packet)


def _patch_async_disconnect(cls: Any) -> None:

    def wrap_handle_eio_disconnect(handle_eio_disconnect: Any) -> Any:
        @functools.wraps(handle_eio_disconnect)
        async def _handle_eio_disconnect(self: Any, eio_sid: str, reason: Any = None) -> Any:
            token = _TRANSPORT_LOST.set(reason != self.reason.SERVER_DISCONNECT)
            try:
                return await handle_eio_disconnect(self, eio_sid, reason)
            finally:
                _TRANSPORT_LOST.reset(token)

        return _handle_eio_disconnect

    hook(cls, "_handle_eio_disconnect", wrap_handle_eio_disconnect)

    def wrap_handle_disconnect(handle_disconnect: Any) -> Any:
        @functools.wraps(handle_disconnect)
        async def _handle_disconnect(
            self: Any, eio_sid: str, namespace: Any, reason: Any = None
        ) -> Any:
            rec = recovery_of(self)
            if rec is None:
                return await handle_disconnect(self, eio_sid, namespace, reason)
            ns = namespace or "/"
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            rec.leaving.add((ns, sid))  # from now on its session is not rewritten
            if sid is not None and _TRANSPORT_LOST.get() and self.manager.is_connected(sid, ns):
                async with rec.lock:
                    session = rec.save(eio_sid, ns, sid)
                if session is not None:  # kept by the manager, before the disconnect completes
                    await rec.shared.put_session(ns, session, rec.duration)
            try:
                return await handle_disconnect(self, eio_sid, namespace, reason)
            finally:
                rec.leaving.discard((ns, sid))
                rec.forget(ns, sid, eio_sid)

        return _handle_disconnect

    hook(cls, "_handle_disconnect", wrap_handle_disconnect)

    def wrap_disconnect(disconnect: Any) -> Any:
        @functools.wraps(disconnect)
        async def _disconnect(
            self: Any, sid: str, namespace: Any = None, ignore_queue: bool = False
        ) -> Any:
            rec = recovery_of(self)
            ns = namespace or "/"
            eio_sid = self.manager.eio_sid_from_sid(sid, ns) if rec is not None else None
            if rec is not None:
                rec.leaving.add((ns, sid))
            try:
                return await disconnect(self, sid, namespace, ignore_queue)
            finally:
                if rec is not None:
                    rec.leaving.discard((ns, sid))
                    if eio_sid is not None:
                        rec.forget(ns, sid, eio_sid)

        return _disconnect

    hook(cls, "disconnect", wrap_disconnect)

    def wrap_save_session(save_session: Any) -> Any:
        @functools.wraps(save_session)
        async def _save_session(self: Any, sid: str, session: Any, namespace: Any = None) -> Any:
            result = await save_session(self, sid, session, namespace)
            rec = recovery_of(self)
            if rec is not None:
                rec.changed(namespace or "/", sid)
            return result

        return _save_session

    hook(cls, "save_session", wrap_save_session)

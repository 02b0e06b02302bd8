"""The client side of connection state recovery for ``socketio.Client`` and
``socketio.AsyncClient`` (docs/CONTRACT.md, "Connection state recovery").

On a namespace whose CONNECT reply carried a ``pid`` (a server with recovery
on: this package's, or the JavaScript one), the trailing offset of every
event without an ack is taken off before any handler sees it and kept; the
reconnect python-socketio makes by itself then sends ``pid`` and ``offset``
merged into its auth (the application's keys win, as in socket.io-client),
and ``client.is_recovered(namespace)`` tells whether the server restored the
session. Against a server without recovery nothing changes.

Hooks, installed on both client classes by ``install()``:
``_handle_connect`` (note the pid), ``_handle_event`` (strip and keep the
offset) and ``_send_packet`` (add pid and offset to CONNECT packets).
"""

from __future__ import annotations

import functools
from typing import Any

import socketio
from socketio import packet

from ._patch import hook

_STATE = "_socketio_history_client"


class _Namespace:
    """What a client keeps of one namespace's recovery."""

    __slots__ = ("offset", "pid", "recovered")

    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.offset: str | None = None
        self.recovered = False


def _state(client: Any) -> dict[str, _Namespace]:
    state: dict[str, _Namespace] = client.__dict__.setdefault(_STATE, {})
    return state


def _connected(client: Any, namespace: Any, data: Any) -> None:
    """A CONNECT reply: a pid means the server speaks recovery, and the same
    pid as before means it restored the session."""
    ns = namespace or "/"
    state = _state(client)
    pid = data.get("pid") if isinstance(data, dict) else None
    if not isinstance(pid, str):
        state.pop(ns, None)
        return
    known = state.get(ns)
    if known is not None and known.pid == pid:
        known.recovered = True
    else:
        state[ns] = _Namespace(pid)


def _strip_offset(client: Any, namespace: Any, id: Any, data: Any) -> None:
    """Take the trailing offset off an event without an ack (in place)."""
    if id is not None or not isinstance(data, list) or len(data) < 2:
        return
    known = client.__dict__.get(_STATE, {}).get(namespace or "/")
    if known is not None and isinstance(data[-1], str):
        known.offset = data.pop()


def _with_recovery(client: Any, pkt: Any) -> None:
    """Merge pid and offset into a CONNECT packet's auth."""
    known = client.__dict__.get(_STATE, {}).get(pkt.namespace or "/")
    if known is None or pkt.packet_type != packet.CONNECT:
        return
    if pkt.data is not None and not isinstance(pkt.data, dict):
        return  # an auth that is no dict cannot carry them
    keys = {"pid": known.pid}
    if known.offset is not None:
        keys["offset"] = known.offset
    pkt.data = {**keys, **(pkt.data or {})}


def is_recovered(self: Any, namespace: str | None = "/") -> bool:
    """Whether the server restored this client's session on its last
    (re)connection to ``namespace`` (connection state recovery)."""
    known = self.__dict__.get(_STATE, {}).get(namespace or "/")
    return known is not None and known.recovered


def _wrap_sync(cls: Any) -> None:
    def wrap_handle_connect(handle_connect: Any) -> Any:
        @functools.wraps(handle_connect)
        def _handle_connect(self: Any, namespace: Any, data: Any) -> Any:
            _connected(self, namespace, data)
            return handle_connect(self, namespace, data)

        return _handle_connect

    def wrap_handle_event(handle_event: Any) -> Any:
        @functools.wraps(handle_event)
        def _handle_event(self: Any, namespace: Any, id: Any, data: Any) -> Any:
            _strip_offset(self, namespace, id, data)
            return handle_event(self, namespace, id, data)

        return _handle_event

    def wrap_send_packet(send_packet: Any) -> Any:
        @functools.wraps(send_packet)
        def _send_packet(self: Any, pkt: Any) -> Any:
            _with_recovery(self, pkt)
            return send_packet(self, pkt)

        return _send_packet

    hook(cls, "_handle_connect", wrap_handle_connect)
    hook(cls, "_handle_event", wrap_handle_event)
    hook(cls, "_send_packet", wrap_send_packet)


def _wrap_async(cls: Any) -> None:
    def wrap_handle_connect(handle_connect: Any) -> Any:
        @functools.wraps(handle_connect)
        async def _handle_connect(self: Any, namespace: Any, data: Any) -> Any:
            _connected(self, namespace, data)
            return await handle_connect(self, namespace, data)

        return _handle_connect

    def wrap_handle_event(handle_event: Any) -> Any:
        @functools.wraps(handle_event)
        async def _handle_event(self: Any, namespace: Any, id: Any, data: Any) -> Any:
            _strip_offset(self, namespace, id, data)
            return await handle_event(self, namespace, id, data)

        return _handle_event

    def wrap_send_packet(send_packet: Any) -> Any:
        @functools.wraps(send_packet)
        async def _send_packet(self: Any, pkt: Any) -> Any:
            _with_recovery(self, pkt)
            return await send_packet(self, pkt)

        return _send_packet

    hook(cls, "_handle_connect", wrap_handle_connect)
    hook(cls, "_handle_event", wrap_handle_event)
    hook(cls, "_send_packet", wrap_send_packet)


def install() -> None:
    """Hook ``socketio.Client`` and ``socketio.AsyncClient`` (once)."""
    _wrap_sync(socketio.Client)
    _wrap_async(socketio.AsyncClient)
    socketio.Client.is_recovered = is_recovered
    socketio.AsyncClient.is_recovered = is_recovered

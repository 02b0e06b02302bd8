"""How replays and restores hand their packets to Engine.IO.

A replay or a restore sends many stored events to one client. The core
encodes them straight from their stored form into Socket.IO packet text (and
binary attachments): the bytes python-socketio's own ``Packet`` class writes
for the same emit, so no Python object is built per entry and no JSON
encoder runs over it. This module hands each Engine.IO message to the
client's socket, as python-socketio's emit does.

A server with another packet class (msgpack) or its own ``json`` module gets
its packets built and encoded by python-socketio instead (``native``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import socketio
from engineio import json as engineio_json
from engineio import packet as eio_packet
from socketio import packet

Message = str | bytes


def native(server: Any) -> bool:
    """Whether the core's encoding is what ``server`` would send: its
    packet class is python-socketio's default, with its default JSON."""
    cls = server.packet_class
    return cls is socketio.packet.Packet and cls.json is engineio_json


def encoded(server: Any, namespace: str, events: Iterable[tuple[str, list[Any]]]) -> list[Message]:
    """The Engine.IO messages of EVENT packets, each ``(event, args)``,
    encoded by the server's packet class (the path for servers the core's
    encoding does not fit)."""
    out: list[Message] = []
    for event, args in events:
        enc = server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        if isinstance(enc, list):
            out.extend(enc)
        else:
            out.append(enc)
    return out


def send(server: Any, eio_sid: str, messages: list[Message]) -> None:
    """Send ``messages`` to one client, in order, through the server's
    Engine.IO send hook (``_send_eio_packet``, which python-socketio's own
    emit calls)."""
    send_eio = server._send_eio_packet
    make = eio_packet.Packet
    message = eio_packet.MESSAGE
    for m in messages:
        send_eio(eio_sid, make(message, m))


async def send_async(server: Any, eio_sid: str, messages: list[Message]) -> None:
    send_eio = server._send_eio_packet
    make = eio_packet.Packet
    message = eio_packet.MESSAGE
    for m in messages:
        await send_eio(eio_sid, make(message, m))

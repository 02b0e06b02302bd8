"""The native replay path (issue 14): replays and recovery restores send
packets the core encoded from the stored entries. They must be the bytes
python-socketio's own encoder writes for the same emit: checked against
``socketio.packet.Packet`` for generated payloads, and on the wire, where a
late joiner's replay and a restored client's missed events must equal, byte
for byte, what a live client of the same emits received (real servers, the
official socket.io-client, websocket and polling)."""

import asyncio

import pytest
import socketio
from hypothesis import given, settings
from hypothesis import strategies as st
from jsclient import JsClient
from realserver import running
from socketio import packet
from socketio_history import HistoryStore, _wire
from socketio_history._native import _RecoveryLog, _Replayer

TRANSPORTS = ["websocket", "polling"]

# Everything python-socketio's JSON encoder sends (text without lone
# surrogates: those cannot be stored).
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | text
    | st.binary(max_size=8)
)
value = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(text | st.integers(-5, 5), inner, max_size=4)
    ),
    max_leaves=12,
)
data = value | st.tuples() | st.tuples(value, value, value)


def emit_args(data):
    """python-socketio's Manager.emit: a tuple is several arguments."""
    if isinstance(data, tuple):
        return list(data)
    return [] if data is None else [data]


def python_socketio_messages(namespace, event, data, *extra):
    encoded = packet.Packet(
        packet.EVENT, namespace=namespace, data=[event, *emit_args(data), *extra]
    ).encode()
    return encoded if isinstance(encoded, list) else [encoded]


@settings(max_examples=400, deadline=None)
@given(event=text, data=data, namespace=st.sampled_from(["/", "/chat"]))
def test_the_core_encodes_what_python_socketio_encodes(event, data, namespace):
    store = HistoryStore()
    store.enable("r", namespace)
    store.record("r", event, data, namespace)
    count, messages, offsets = _Replayer(store).packets("r", "sid", namespace=namespace)
    assert count == 1 and offsets == []
    assert messages == python_socketio_messages(namespace, event, data)


@settings(max_examples=100, deadline=None)
@given(event=text, data=data)
def test_a_logged_replay_carries_its_offset_as_the_last_argument(event, data):
    store = HistoryStore()
    store.enable("r", "/")
    _RecoveryLog(store).enable_log("/", 60)
    store.record("r", event, data, "/")
    count, messages, offsets = _Replayer(store).packets("r", "sid", log=True)
    assert count == 1 and len(offsets) == 1
    assert messages == python_socketio_messages("/", event, data, offsets[0])


PAYLOADS = [
    ("chat", "plain text"),
    ("chat", "ünïcödé ✓ 😀 \u2028 \x7f"),
    ("chat", ""),
    ("nums", {"f": 1.0, "big": 1e16, "tiny": 1.5e-7, "neg": -2.5, "int": 2**53 - 1}),
    ("deep", [1, [2, [3, {"deep": None, "t": True}]]]),
    ("args", ("several", 2, False, None)),
    ("none", None),
    ("blob", b"\x00\x01binary\xff"),
    ("mixed", {"bin": b"\xff", "list": [b"a", "b", {"c": b"d"}]}),
    ("keys", {1: "an int key", 'quote"s': "back\\slash\nnewline"}),
]


class Capture:
    """Every Engine.IO message the server hands to ``_send_eio_packet``
    (python-socketio's emit and the replay path both do), per eio sid. The
    message is the packet's data: ``encode()`` would cache one transport's
    encoding in the packet."""

    def __init__(self, sio):
        self.sent = []
        orig = sio._send_eio_packet
        if isinstance(sio, socketio.AsyncServer):

            async def hooked(eio_sid, pkt):
                self.sent.append((eio_sid, pkt.data))
                return await orig(eio_sid, pkt)
        else:

            def hooked(eio_sid, pkt):
                self.sent.append((eio_sid, pkt.data))
                return orig(eio_sid, pkt)

        sio._send_eio_packet = hooked

    def to(self, eio_sid, start=0):
        return [m for e, m in self.sent[start:] if e == eio_sid]


def make_server(kind):
    if kind == "threading":
        sio = socketio.Server(async_mode="threading")

        @sio.on("join")
        def join(sid, room, replay):
            sio.enter_room(sid, room)
            return sio.replay_history(sid, room) if replay else 0

    else:
        sio = socketio.AsyncServer(async_mode="aiohttp")

        @sio.on("join")
        async def join(sid, room, replay):
            await sio.enter_room(sid, room)
            return await sio.replay_history(sid, room) if replay else 0

    return sio


def emit_all(srv):
    for event, data in PAYLOADS:
        srv.do("emit", event, data, to="r")


def wait_events(client, n, start=0):
    client.wait_for(
        lambda r: len(client.events(start)) >= n, f"{n} events", start=start, timeout=15
    )
    return client.events(start)


@pytest.mark.parametrize("kind", ["threading", "asyncio"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_replay_is_byte_for_byte_the_live_emits(kind, transport):
    sio = make_server(kind)
    cap = Capture(sio)
    with running(sio) as srv, JsClient() as live, JsClient() as late:
        srv.do("enable_history", "r")
        live_sid = live.connect(srv.url, transports=[transport])["id"]
        assert live.emit_with_ack("join", "r", False) == [0]
        emit_all(srv)
        got_live = wait_events(live, len(PAYLOADS))

        late_sid = late.connect(srv.url, transports=[transport])["id"]
        assert late.emit_with_ack("join", "r", True) == [len(PAYLOADS)]
        got_late = wait_events(late, len(PAYLOADS))

        eio = sio.manager.eio_sid_from_sid
        live_wire = cap.to(eio(live_sid, "/"))
        # (Acks and CONNECT replies go through _send_packet, not captured.)
        assert cap.to(eio(late_sid, "/")) == live_wire
        assert any(isinstance(m, bytes) for m in live_wire)  # attachments too
        assert got_late == got_live
        assert got_live[0] == ("chat", ["plain text"])
        assert ("args", ["several", 2, False, None]) in got_live
        assert ("none", []) in got_live


@pytest.mark.parametrize("kind", ["threading", "asyncio"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_restore_resends_the_missed_packets_byte_for_byte(kind, transport):
    sio = make_server(kind)
    cap = Capture(sio)
    with running(sio) as srv, JsClient() as stays, JsClient() as drops:
        srv.do("enable_history", "r")
        srv.do("enable_connection_state_recovery", max_disconnection_duration=30)
        stays_sid = stays.connect(srv.url, transports=[transport])["id"]
        drops_sid = drops.connect(srv.url, transports=[transport], delay=500)["id"]
        assert stays.emit_with_ack("join", "r", False) == [0]
        assert drops.emit_with_ack("join", "r", False) == [0]

        start = drops.drop()
        mark = len(cap.sent)
        emit_all(srv)
        # Operations on a message are restored as the emits they were.
        srv.do("create_message", "r", "answer", "Hel", message_id="m1")
        srv.do("append_message", "r", "m1", "lo ✓")
        srv.do("update_message", "r", "m1", data={"text": "Hello", "n": 1.5e-7})
        stayed = wait_events(stays, len(PAYLOADS) + 3)
        assert [name for name, _ in stayed[-3:]] == ["answer", "history:append", "history:update"]
        back = drops.wait_connect(start)
        assert back["recovered"] is True and back["id"] == drops_sid
        restored = drops.events(start, drops.reports.index(back))

        eio = sio.manager.eio_sid_from_sid
        live_wire = cap.to(eio(stays_sid, "/"), mark)
        # The same logged emits, each with its offset: the same bytes.
        assert cap.to(eio(drops_sid, "/"), mark) == live_wire
        assert len(live_wire) > len(PAYLOADS)  # attachments are messages too
        assert restored == stayed


def stub_server(kind, packet_class=None):
    """A server with one connected client whose packets are only captured."""
    sio = socketio.Server() if kind == "threading" else socketio.AsyncServer()
    if packet_class is not None:
        sio.packet_class = packet_class
    sent = []
    if kind == "threading":
        sio._send_eio_packet = lambda eio_sid, pkt: sent.append(pkt.data)
    else:

        async def send(eio_sid, pkt):
            sent.append(pkt.data)

        sio._send_eio_packet = send
    sid = sio.manager.connect("eio0", "/")
    if asyncio.iscoroutine(sid):
        sid = asyncio.run(sid)
    return sio, sid, sent


@pytest.mark.parametrize("kind", ["threading", "asyncio"])
def test_a_server_with_its_own_packet_class_is_encoded_by_it(kind):
    class Custom(socketio.packet.Packet):
        def encode(self):
            encoded = super().encode()
            return encoded if isinstance(encoded, list) else encoded.replace("plain", "PLAIN")

    out = {}
    for name, cls in [("native", None), ("custom", Custom)]:
        sio, sid, sent = stub_server(kind, cls)
        assert _wire.native(sio) is (cls is None)
        result = sio.enable_history("r")
        if asyncio.iscoroutine(result):
            asyncio.run(result)
        for event, data in PAYLOADS:
            sio.history.record("r", event, data)
        count = sio.replay_history(sid, "r")
        if asyncio.iscoroutine(count):
            count = asyncio.run(count)
        assert count == len(PAYLOADS)
        out[name] = sent
    assert out["custom"][0] == '2["chat","PLAIN text"]'
    assert [m.replace("PLAIN", "plain") if isinstance(m, str) else m for m in out["custom"]] == (
        out["native"]
    )

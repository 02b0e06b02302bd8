"""Connection state recovery (CONTRACT.md, "Connection state recovery") end to end: a real
python-socketio server (threading under werkzeug, asyncio under aiohttp)
and the official socket.io-client under Node, over websocket and polling."""

import threading
import time

import pytest
import socketio
from jsclient import JsClient
from realserver import running
from socketio_history import HistoryStore, ManualClock

KINDS = ["threading", "asyncio"]
TRANSPORTS = ["websocket", "polling"]


def make_server(kind, **options):
    """A server whose clients can join and leave rooms (acked)."""
    if kind == "threading":
        sio = socketio.Server(async_mode="threading", **options)

        @sio.on("join")
        def join(sid, room):
            sio.enter_room(sid, room)
            return "joined"

        @sio.on("echo")
        def echo(sid, *args):
            return list(args)

    else:
        sio = socketio.AsyncServer(async_mode="aiohttp", **options)

        @sio.on("join")
        async def join(sid, room):
            await sio.enter_room(sid, room)
            return "joined"

        @sio.on("echo")
        async def echo(sid, *args):
            return list(args)

    return sio


def offsets(events):
    return [args[-1] for _, args in events]


def seq(offset):
    return int(offset.rsplit("-", 1)[1])


def without_offsets(events):
    return [(name, args[:-1]) for name, args in events]


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_dropped_client_gets_its_sid_rooms_and_exactly_what_it_missed(kind, transport):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery", max_disconnection_duration=30)
        first = c.connect(srv.url, transports=[transport], delay=600)
        sid = first["id"]
        assert first["recovered"] is False and first["pid"]
        assert c.emit_with_ack("join", "lobby") == ["joined"]
        srv.do("emit", "chat", "before", to="lobby")
        c.wait_for(lambda r: r["ev"] == "event", "the first event")

        start = c.drop(hold=True)
        srv.do("emit", "chat", "to the room", to="lobby")
        srv.do("emit", "chat", "to the sid", to=sid)
        srv.do("emit", "chat", "to another room", to="elsewhere")
        srv.do("emit", "chat", "skipping it", to="lobby", skip_sid=sid)
        srv.do("emit", "news", ("to", "everyone"))
        srv.do("emit", "blob", {"bin": b"\x00\xff"}, to="lobby")
        srv.do("send", "a message", to=sid)

        back = c.wait_connect(start)
        assert back["recovered"] is True
        assert back["id"] == sid
        assert back["pid"] == first["pid"]
        end = c.reports.index(back)
        missed = c.events(start, end)  # all of them arrived before `connect`
        assert without_offsets(missed) == [
            ("chat", ["to the room"]),
            ("chat", ["to the sid"]),
            ("news", ["to", "everyone"]),
            ("blob", [{"bin": b"\x00\xff"}]),
            ("message", ["a message"]),
        ]
        seqs = [seq(o) for o in offsets(missed)]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert c.events(end) == []
        assert c.state()["lastOffset"] == offsets(missed)[-1]

        # The rooms came back too: live events reach it, once.
        mark = c.mark()
        srv.do("emit", "chat", "live", to="lobby")
        live = c.wait_for(lambda r: r["ev"] == "event", "the live event", start=mark)
        assert live["args"][0] == "live"
        assert seq(live["args"][-1]) > seqs[-1]


def test_is_recovered_and_the_handlers_see_no_recovery_keys(kind):
    seen = []
    sio = make_server(kind)
    if kind == "threading":

        @sio.event
        def connect(sid, environ, auth):
            seen.append((sid, auth, sio.is_recovered(sid)))
    else:

        @sio.event
        async def connect(sid, environ, auth):
            seen.append((sid, auth, sio.is_recovered(sid)))

    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, auth={"token": "t"}, delay=300)
        srv.do("emit", "chat", "x")
        c.wait_for(lambda r: r["ev"] == "event")
        back = c.wait_connect(c.drop())
        assert back["recovered"] is True
        assert seen == [(first["id"], {"token": "t"}, False), (first["id"], {"token": "t"}, True)]


def test_two_parameter_connect_handlers_and_no_auth(kind):
    seen = []
    sio = make_server(kind)
    if kind == "threading":

        @sio.event
        def connect(sid, environ):
            seen.append(sid)
    else:

        @sio.event
        async def connect(sid, environ):
            seen.append(sid)

    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, delay=300)
        srv.do("emit", "chat", "x")
        c.wait_for(lambda r: r["ev"] == "event")
        back = c.wait_connect(c.drop())
        assert back["recovered"] is True
        assert seen == [first["id"], first["id"]]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_client_that_received_no_event_recovers(kind, transport):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, transports=[transport], delay=600)
        assert c.state()["lastOffset"] is None
        start = c.drop(hold=True)
        srv.do("emit", "chat", "while away")
        back = c.wait_connect(start)
        assert back["recovered"] is True and back["id"] == first["id"]
        assert without_offsets(c.events(start)) == [("chat", ["while away"])]


def test_a_quiet_client_whose_offset_left_the_buffer_recovers(kind):
    sio = make_server(kind)
    # The buffer ages on the store's clock, moved by the test: no sleep, and
    # the session (on the real clock) lives long past the reconnection.
    clock = ManualClock()
    sio.history = HistoryStore(clock=clock)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery", max_disconnection_duration=30)
        first = c.connect(srv.url, delay=100)
        c.emit_with_ack("join", "lobby")
        srv.do("emit", "chat", "long ago", to="lobby")
        c.wait_for(lambda r: r["ev"] == "event")
        srv.do("emit", "chat", "to others", to="elsewhere")
        clock.advance(31)  # "long ago" leaves the buffer; nothing was dropped for it
        start = c.drop(hold=True)
        srv.do("emit", "chat", "while away", to="lobby")
        back = c.wait_connect(start)
        assert back["recovered"] is True and back["id"] == first["id"]
        assert without_offsets(c.events(start)) == [("chat", ["while away"])]


def test_recovery_works_again_and_again(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, delay=400)
        c.emit_with_ack("join", "lobby")
        for round in range(4):
            start = c.drop(hold=True)
            srv.do("emit", "chat", f"missed {round}", to="lobby")
            back = c.wait_connect(start)
            assert back["recovered"] is True and back["id"] == first["id"], round
            assert without_offsets(c.events(start)) == [("chat", [f"missed {round}"])], round
            mark = c.mark()
            srv.do("emit", "chat", f"live {round}", to="lobby")
            c.wait_for(lambda r: r["ev"] == "event", start=mark)
            assert without_offsets(c.events(mark)) == [("chat", [f"live {round}"])]


def test_a_replay_that_would_be_partial_fails_cleanly(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery", max_buffer_bytes=64)
        first = c.connect(srv.url, delay=600)
        c.emit_with_ack("join", "lobby")
        start = c.drop(hold=True)
        srv.do("emit", "chat", "x" * 40, to="lobby")  # needed, then evicted
        srv.do("emit", "chat", "y" * 40, to="elsewhere")
        back = c.wait_connect(start)
        assert back["recovered"] is False
        assert back["id"] != first["id"] and back["pid"] != first["pid"]
        assert c.events(start) == []


def test_disconnect_then_connect_does_not_recover(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url)
        srv.do("emit", "chat", "x")
        c.wait_for(lambda r: r["ev"] == "event")
        start = c.mark()
        c.send("disconnect")
        c.wait_for(lambda r: r["ev"] == "disconnect", start=start)
        srv.do("emit", "chat", "while away")
        c.send("reconnect")
        back = c.wait_connect(start)
        assert back["recovered"] is False and back["id"] != first["id"]
        assert c.events(start) == []


def test_an_expired_session_does_not_recover(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery", max_disconnection_duration=0.3)
        first = c.connect(srv.url)
        start = c.drop(hold=True)
        time.sleep(0.6)  # past the session's lifetime (a loaded machine only adds)
        back = c.wait_connect(start)
        assert back["recovered"] is False and back["id"] != first["id"]


def test_a_chat_namespace_recovers_on_its_own(kind):
    sio = make_server(kind, namespaces="*")
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, namespace="/chat", delay=600)
        start = c.drop(hold=True)
        srv.do("emit", "chat", "to /chat", namespace="/chat")
        srv.do("emit", "chat", "to /")
        back = c.wait_connect(start)
        assert back["recovered"] is True and back["id"] == first["id"]
        assert without_offsets(c.events(start)) == [("chat", ["to /chat"])]


def test_acks_and_calls_carry_no_offset(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url)
        # The server's answer to the client's ack: as it was returned.
        assert c.emit_with_ack("echo", "a", 1) == [["a", 1]]
        # The server's own emit with a callback: no offset either.
        got = []
        done = threading.Event()

        def callback(*args):
            got.append(args)
            done.set()

        mark = c.mark()
        srv.do("emit", "question", "q?", to=first["id"], callback=callback)
        event = c.wait_for(lambda r: r["ev"] == "event", start=mark)
        assert event["args"] == ["q?"] and event["acked"] is True
        assert done.wait(10) and got == [("ack",)]
        assert c.state()["lastOffset"] is None


def test_recovery_can_be_turned_off(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        srv.do("disable_connection_state_recovery")
        first = c.connect(srv.url)
        assert first["pid"] is None
        srv.do("emit", "chat", "x")
        event = c.wait_for(lambda r: r["ev"] == "event")
        assert event["args"] == ["x"], "no offset"
        assert srv.sio.is_recovered(first["id"]) is False


@pytest.mark.parametrize(
    ("duration", "max_bytes", "error"),
    [
        (0, None, ValueError),
        (-1, None, ValueError),
        (float("nan"), None, ValueError),
        (float("inf"), None, ValueError),
        (True, None, TypeError),
        ("120", None, TypeError),
        (120, 0, ValueError),
        (120, -5, ValueError),
        (120, 1.5, TypeError),
        (120, True, TypeError),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(duration, max_bytes, error):
    sio = socketio.Server()
    with pytest.raises(error):
        sio.enable_connection_state_recovery(duration, max_bytes)
    assert "_socketio_history" not in sio.__dict__
    with pytest.raises(TypeError, match="sid"):
        sio.is_recovered(5)


def test_always_connect_and_a_namespace_class_recover(kind):
    seen = []
    base = socketio.Namespace if kind == "threading" else socketio.AsyncNamespace

    class Lobby(base):
        def on_connect(self, sid, environ):  # the legacy two-argument form
            seen.append(sid)

        def on_join(self, sid, room):
            self.enter_room(sid, room)
            return "joined"

    if kind == "asyncio":

        class Lobby(base):
            async def on_connect(self, sid, environ):
                seen.append(sid)

            async def on_join(self, sid, room):
                await self.enter_room(sid, room)
                return "joined"

    sio = make_server(kind, always_connect=True)
    sio.register_namespace(Lobby("/"))
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, delay=600)
        assert first["pid"]
        assert c.emit_with_ack("join", "lobby") == ["joined"]
        start = c.drop(hold=True)
        srv.do("emit", "chat", "missed", to="lobby")
        back = c.wait_connect(start)
        assert back["recovered"] is True and back["id"] == first["id"]
        assert without_offsets(c.events(start)) == [("chat", ["missed"])]
        assert seen == [first["id"], first["id"]]


def test_a_refusing_connect_handler_discards_the_session(kind):
    refuse = []
    sio = make_server(kind)
    if kind == "threading":

        @sio.event
        def connect(sid, environ):
            return not refuse
    else:

        @sio.event
        async def connect(sid, environ):
            return not refuse

    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, delay=600)
        refuse.append(True)
        start = c.drop()
        c.wait_for(lambda r: r["ev"] in ("connect_error", "disconnect"), start=start + 1)
        assert not srv.sio.manager.is_connected(first["id"], "/")
        rec = srv.sio.__dict__["_socketio_history"].recovery
        assert rec.sessions == {} and (("/", first["id"]) not in rec.live)


def random_emit(rnd, rooms, member, step):
    """A random emit's kwargs, and who it addresses (indexes of ``member``)."""
    kwargs = {}
    op = rnd.random()
    if op < 0.4:
        kwargs["to"] = rnd.choice(rooms)
    elif op < 0.65:
        kwargs["to"] = rnd.choice(member)["sid"]
    if rnd.random() < 0.2:
        kwargs["skip_sid"] = rnd.choice(member)["sid"]
    to, skip = kwargs.get("to"), kwargs.get("skip_sid")
    addressed = [
        i
        for i, m in enumerate(member)
        if (to is None or to in m["rooms"] or to == m["sid"]) and skip != m["sid"]
    ]
    return kwargs, addressed


def received_steps(c, want, timeout=10.0):
    """The steps of the ``e`` events a client received, once ``want`` came."""
    deadline = time.monotonic() + timeout
    while True:
        got = [args[0]["step"] for name, args in c.events() if name == "e"]
        if len(got) >= want or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_emits_drops_and_reconnects(kind, seed):
    """Several clients in several rooms; random emits (to rooms, to sids,
    broadcasts, skipping clients) while random clients drop and come back.
    Each ends with exactly the events addressed to it, once, in order."""
    import random  # noqa: PLC0415

    rnd = random.Random(seed)
    rooms = ["a", "b", "c"]
    sio = make_server(kind)
    with running(sio) as srv:
        srv.do("enable_connection_state_recovery")
        clients = [JsClient() for _ in range(3)]
        try:
            member = []
            for c in clients:
                mine = rnd.sample(rooms, 2)
                info = c.connect(srv.url, transports=[rnd.choice(TRANSPORTS)], delay=150)
                for room in mine:
                    c.emit_with_ack("join", room)
                member.append({"sid": info["id"], "rooms": set(mine)})
            expected = [[] for _ in clients]
            for step in range(60):
                if rnd.random() < 0.15:
                    rnd.choice(clients).send("drop")
                    continue
                kwargs, addressed = random_emit(rnd, rooms, member, step)
                srv.do("emit", "e", {"step": step}, **kwargs)
                for i in addressed:
                    expected[i].append(step)
                time.sleep(rnd.random() * 0.02)
            for i, c in enumerate(clients):
                got = received_steps(c, len(expected[i]))
                assert got == expected[i], f"{i} {got} {expected[i]}"
                connects = [r for r in c.reports if r["ev"] == "connect"]
                assert all(r["id"] == member[i]["sid"] for r in connects)
                assert all(r["recovered"] for r in connects[1:])
        finally:
            for c in clients:
                c.close()


def test_the_user_session_comes_back(kind):
    sio = make_server(kind)
    if kind == "threading":

        @sio.on("remember")
        def remember(sid, value):
            sio.save_session(sid, {"value": value})
            return "ok"

        @sio.on("recall")
        def recall(sid):
            return sio.get_session(sid).get("value")
    else:

        @sio.on("remember")
        async def remember(sid, value):
            await sio.save_session(sid, {"value": value})
            return "ok"

        @sio.on("recall")
        async def recall(sid):
            return (await sio.get_session(sid)).get("value")

    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        first = c.connect(srv.url, delay=300)
        assert c.emit_with_ack("remember", "alice") == ["ok"]
        back = c.wait_connect(c.drop())
        assert back["recovered"] is True and back["id"] == first["id"]
        assert c.emit_with_ack("recall") == ["alice"]


def test_a_history_replay_carries_offsets_and_is_not_replayed_again(kind):
    sio = make_server(kind)
    if kind == "threading":

        @sio.on("catch_up")
        def catch_up(sid, room):
            sio.enter_room(sid, room)
            return sio.replay_history(sid, room)
    else:

        @sio.on("catch_up")
        async def catch_up(sid, room):
            await sio.enter_room(sid, room)
            return await sio.replay_history(sid, room)

    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery")
        srv.do("enable_history", "lobby")
        srv.do("emit", "chat", "old 1", to="lobby")
        srv.do("emit", "chat", "old 2", to="lobby")
        first = c.connect(srv.url, delay=600)
        assert c.emit_with_ack("catch_up", "lobby") == [2]
        c.wait_for(lambda r: r["ev"] == "event" and r["args"][0] == "old 2")
        replayed = c.events()
        assert without_offsets(replayed) == [("chat", ["old 1"]), ("chat", ["old 2"])]
        assert seq(offsets(replayed)[0]) < seq(offsets(replayed)[1])
        start = c.drop(hold=True)
        srv.do("emit", "chat", "missed", to="lobby")
        back = c.wait_connect(start)
        assert back["recovered"] is True and back["id"] == first["id"]
        assert without_offsets(c.events(start)) == [("chat", ["missed"])]

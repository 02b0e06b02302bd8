"""Connection state recovery on the wire, by hand: Engine.IO v4 polling
requests to a real threading server, checking the packet order, hostile
handshakes, and a reconnect that takes over a connection the server still
holds open."""

import json
import time

import pytest
import requests
import socketio
from realserver import running


class Polling:
    """One Engine.IO polling connection, spoken by hand."""

    def __init__(self, url):
        self.url = f"{url}/socket.io/?EIO=4&transport=polling"
        self.http = requests.Session()
        opened = self.http.get(self.url, timeout=10).text
        assert opened.startswith("0"), opened
        self.sid = json.loads(opened[1:])["sid"]

    def post(self, *packets):
        r = self.http.post(
            f"{self.url}&sid={self.sid}", data="\x1e".join(packets).encode(), timeout=10
        )
        return r.status_code

    def get(self):
        """The packets waiting for this connection (one long-poll)."""
        r = self.http.get(f"{self.url}&sid={self.sid}", timeout=10)
        if r.status_code != 200:
            return None
        return [p for p in r.text.split("\x1e") if p != "2"]  # pings aside

    def connect(self, auth=None):
        """CONNECT to "/"; the reply's payload."""
        self.post("40" + ("" if auth is None else json.dumps(auth)))
        reply = self.get()
        assert reply and reply[-1].startswith("40"), reply
        return reply[:-1], json.loads(reply[-1][2:])


def event(name, *args):
    return "42" + json.dumps([name, *args])


def parse_event(pkt):
    assert pkt.startswith("42"), pkt
    return json.loads(pkt[2:])


@pytest.fixture
def srv():
    sio = socketio.Server(async_mode="threading")

    @sio.on("join")
    def join(sid, room):
        sio.enter_room(sid, room)
        return "joined"

    sio.enable_connection_state_recovery(max_disconnection_duration=30)
    with running(sio) as s:
        yield s


def joined(srv, room="lobby"):
    """A connection in ``room`` that received one event; (conn, reply, offset)."""
    conn = Polling(srv.url)
    _, reply = conn.connect()
    conn.post(event("join", room)[:2] + "1" + event("join", room)[2:])  # with ack id 1
    assert conn.get() == ['431["joined"]']
    srv.do("emit", "chat", "hello", to=room)
    [pkt] = conn.get()
    return conn, reply, parse_event(pkt)[-1]


def test_missed_events_come_before_the_connect_reply(srv):
    a, reply, offset = joined(srv)
    assert set(reply) == {"sid", "pid"} and len(reply["pid"]) >= 22
    a.post("1")  # the transport closes
    srv.do("emit", "chat", "one", to="lobby")
    srv.do("emit", "chat", "two", to=reply["sid"])
    b = Polling(srv.url)
    before, again = b.connect({"pid": reply["pid"], "offset": offset, "token": "t"})
    assert again == reply, "same sid and pid"
    assert [parse_event(p)[:2] for p in before] == [["chat", "one"], ["chat", "two"]]
    offsets = [parse_event(p)[-1] for p in before]
    assert all(o > offset for o in offsets) or offsets == sorted(offsets)


def test_a_reconnect_takes_over_a_connection_still_open(srv):
    a, reply, offset = joined(srv)
    # The network dropped, but the server has not noticed: A is still open.
    srv.do("emit", "chat", "lost on the wire", to="lobby")
    b = Polling(srv.url)
    before, again = b.connect({"pid": reply["pid"], "offset": offset})
    assert again == reply
    assert [parse_event(p)[1] for p in before] == ["lost on the wire"]
    assert srv.sio.is_recovered(reply["sid"])
    # The old connection is closed, and its late close takes nothing away.
    leftover = a.get()
    assert leftover is None or leftover[-1] == "1", leftover
    srv.do("emit", "chat", "after", to="lobby")
    assert [parse_event(p)[1] for p in b.get()] == ["after"]
    assert srv.sio.manager.is_connected(reply["sid"], "/")


@pytest.mark.parametrize(
    "auth",
    [
        {"pid": 5},
        {"pid": None, "offset": None},
        {"pid": "x" * 100_000, "offset": "y" * 100_000},
        {"pid": "A" * 22, "offset": "zz"},
        {"pid": "A" * 22},
        {"pid": ["a"], "offset": {"a": 1}},
        {"offset": "0123456789ab-1"},
        {"pid": "../../etc", "token": "kept"},
    ],
)
def test_unknown_or_garbage_recovery_keys_get_a_fresh_session(srv, auth):
    seen = []

    @srv.sio.event
    def connect(sid, environ, data):
        seen.append(data)

    conn = Polling(srv.url)
    before, reply = conn.connect(auth)
    assert before == []
    assert set(reply) == {"sid", "pid"}
    assert reply["pid"] != auth.get("pid")
    assert seen == [{"token": "kept"} if "token" in auth else None]


def test_a_used_session_does_not_recover_twice(srv):
    a, reply, offset = joined(srv)
    a.post("1")
    b = Polling(srv.url)
    _, again = b.connect({"pid": reply["pid"], "offset": offset})
    assert again == reply
    c = Polling(srv.url)  # the same pid again, while B holds the session
    _, other = c.connect({"pid": reply["pid"], "offset": offset})
    assert other["sid"] == reply["sid"], "B was taken over: still one session"
    leftover = b.get()
    assert leftover is None or leftover[-1] == "1", leftover


def test_sessions_are_bounded_in_number(srv):
    rec = srv.sio.__dict__["_socketio_history"].recovery
    rec.max_sessions = 5
    pids = []
    for _ in range(20):
        conn = Polling(srv.url)
        _, reply = conn.connect()
        pids.append(reply["pid"])
        conn.post("1")
    assert len(rec.sessions) <= 5
    assert rec.session_bytes == sum(s.cost for s in rec.sessions.values())
    conn = Polling(srv.url)
    _, reply = conn.connect({"pid": pids[0]})  # the oldest was dropped
    assert reply["pid"] != pids[0]
    conn = Polling(srv.url)
    _, reply = conn.connect({"pid": pids[-1]})
    assert reply["pid"] == pids[-1]


def test_sessions_are_bounded_in_bytes(srv):
    @srv.sio.on("remember")
    def remember(sid, blob):
        srv.sio.save_session(sid, {"blob": blob})
        return "ok"

    rec = srv.sio.__dict__["_socketio_history"].recovery
    rec.max_session_bytes = 5_000
    for _ in range(10):
        conn = Polling(srv.url)
        conn.connect()
        conn.post("421" + json.dumps(["remember", "x" * 1_000]))
        assert conn.get() == ['431["ok"]']
        conn.post("1")
    assert 1 <= len(rec.sessions) <= 4
    assert rec.session_bytes <= 5_000
    assert all(s.user_session == {"blob": "x" * 1_000} for s in rec.sessions.values())


@pytest.fixture
def reasons(srv):
    """What ``recovery_failure`` says in each connection's connect handler."""
    seen = {}

    @srv.sio.on("connect")
    def connect(sid, environ, auth):
        seen[sid] = srv.sio.recovery_failure(sid)

    return seen


def reconnect(srv, auth):
    conn = Polling(srv.url)
    _, reply = conn.connect(auth)
    return conn, reply


def test_a_failed_recovery_says_why(srv, reasons):
    a, reply, offset = joined(srv)
    assert reasons[reply["sid"]] is None  # a first connection asked nothing
    a.post("1")  # the transport closes: the session is kept
    pid = reply["pid"]
    # The core's reasons: a malformed, a foreign and a too-new offset (each
    # uses the session up, so it is kept again in between).
    epoch = offset.rsplit("-", 1)[0]
    for bad, why in [
        ("garbage", "bad_offset"),
        ("0123456789ab-1", "other_epoch"),
        (f"{epoch}-999", "offset_ahead"),
    ]:
        conn, new = reconnect(srv, {"pid": pid, "offset": bad})
        assert new["sid"] != reply["sid"]
        assert reasons[new["sid"]] == why
        assert srv.sio.recovery_failure(new["sid"]) == why
        # Used once: the same pid again says so.
        again, newer = reconnect(srv, {"pid": pid, "offset": offset})
        assert srv.sio.recovery_failure(newer["sid"]) == "used"
        # A fresh session to drop for the next round.
        pid = newer["pid"]
        again.post("1")
        conn.post("1")
    conn, new = reconnect(srv, {"pid": "x"})
    assert srv.sio.recovery_failure(new["sid"]) == "malformed_pid"
    conn, new = reconnect(srv, {"pid": "A" * 22})
    assert srv.sio.recovery_failure(new["sid"]) == "unknown_pid"
    # A recovered connection has no failure.
    conn, back = reconnect(srv, {"pid": pid})
    assert back["pid"] == pid and srv.sio.recovery_failure(back["sid"]) is None
    with pytest.raises(TypeError, match="sid"):
        srv.sio.recovery_failure(5)


def test_an_expired_session_says_so(reasons):
    sio = socketio.Server(async_mode="threading")
    sio.enable_connection_state_recovery(max_disconnection_duration=0.2)

    @sio.on("connect")
    def connect(sid, environ, auth):
        reasons[sid] = sio.recovery_failure(sid)

    with running(sio) as s:
        a = Polling(s.url)
        _, reply = a.connect()
        a.post("1")
        time.sleep(0.4)  # past its lifetime (a loaded machine only adds)
        _, new = reconnect(s, {"pid": reply["pid"]})
        assert reasons[new["sid"]] == "expired"

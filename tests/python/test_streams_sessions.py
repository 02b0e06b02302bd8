"""Connection state recovery's sessions in Redis with the streams managers
(docs/CONTRACT.md, "Ordered history on Redis Streams"; docs/STREAMS.md,
"Sessions in Redis"): every session lives in Redis from connect on, so a
client whose node is killed comes back recovered on another node; a
restore takes a session over, and the node that lost it can neither
resave nor revive it. Real redis-server, real nodes, the official JS
client behind a switching TCP proxy."""

import json
import signal

import pytest
import redis
import socketio
from cluster import Node, Switch, wait_until
from realserver import wsgi_server
from socketio_history import RedisStreamsManager
from socketio_history import _streams as st


@pytest.fixture
def r(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return client


@pytest.fixture
def cluster(redis_url, r):
    started = []

    def start(kind, *flags, serve=True):
        node = Node(kind, redis_url, serve, "--recovery", *flags)
        started.append(node)
        return node

    yield start
    for node in started:
        node.close()


def session_in_redis(r, pid, namespace="/"):
    """The session hash of ``pid``, decoded (``{}`` when there is none)."""
    raw = r.hgetall(st.Keys.of("socketio").session(namespace, pid))
    out = {k.decode(): v.decode() for k, v in raw.items()}
    if "d" in out:
        out["d"] = json.loads(out["d"])
    return out


def evalsha_calls(r):
    return r.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)


# ---- the scripts' fence, on a real Redis --------------------------------


def test_the_scripts_write_only_under_the_fence_they_hold(r):
    put = r.register_script(st.SESSION_PUT_SCRIPT)
    gone = r.register_script(st.SESSION_GONE_SCRIPT)
    refresh = r.register_script(st.SESSION_REFRESH_SCRIPT)
    take = r.register_script(st.SESSION_TAKE_SCRIPT)
    keys = st.Keys.of("t")
    key = keys.session("/", "p")

    def put_as(owner, gen, data, create=0):
        return put(keys=[key], args=[owner, gen, "live", data, 60_000, create])

    def take_as(owner):
        return take(keys=[key, keys.stream], args=[owner, 60_000, 100, "/", "p"])

    assert put_as("A", 1, "v1") == 0, "an update needs a session to update"
    assert put_as("A", 1, "v1", create=1) == 1
    assert put_as("B", 1, "x", create=1) == 0, "a create never overwrites"
    assert put_as("A", 1, "v2") == 1
    assert put_as("B", 1, "x") == 0 and put_as("A", 2, "x") == 0
    assert r.hget(key, "d") == b"v2"
    # B restores it: the next generation, B's; A's writes are refused now.
    assert take_as("B") == [b"v2", 2]
    assert put_as("A", 1, "stale") == 0
    assert refresh(keys=[key], args=["A", 1, 1]) == 0
    assert gone(keys=[key], args=["A", 1]) == 0
    assert r.hget(key, "d") == b"v2" and r.hget(key, "o") == b"B"
    # Taking a live session announces it on the stream, for its old node.
    (entry,) = r.xrange(keys.stream)
    assert json.loads(entry[1][b"m"]) == {
        "method": "takeover",
        "namespace": "/",
        "pid": "p",
        "gen": 2,
        "host_id": "B",
    }
    assert put_as("B", 2, "v3") == 1
    r.pexpire(key, 50)
    assert refresh(keys=[key], args=["B", 60_000, 2]) == 1
    assert r.pttl(key) > 50_000
    assert gone(keys=[key], args=["B", 2]) == 1
    assert r.exists(key) == 0
    assert put_as("B", 2, "revived") == 0, "a deleted session is not revived"
    assert take_as("C") is None
    # A dropped session is taken without an announcement.
    assert put_as("A", 1, "v1", create=1) == 1
    put(keys=[key], args=["A", 1, "dropped", "gone away", 60_000, 0])
    assert take_as("C") == [b"gone away", 2]
    assert r.xlen(keys.stream) == 1


# ---- write-through ------------------------------------------------------


@pytest.mark.parametrize("kind", ["streams", "async-streams"])
def test_a_session_is_in_redis_from_connect_on_and_follows_its_changes(kind, cluster, r):
    from jsclient import JsClient  # noqa: PLC0415

    node = cluster(kind)
    url = f"http://127.0.0.1:{node.port}"
    with JsClient() as warm:  # the scripts get loaded into Redis
        warm.connect(url)
        assert warm.emit_with_ack("join_only", "a") == ["joined"]
        node.emit("chat", "warm", "a")
        warm.wait_for(lambda rep: rep["ev"] == "event")
        warm.send("disconnect")
        wait_until(lambda: r.keys("{socketio}:recovery:*") == [], "the first client to leave")
    with JsClient() as c:
        before = evalsha_calls(r)
        first = c.connect(url)
        sid, pid = first["id"], first["pid"]
        assert evalsha_calls(r) - before == 1, "one round trip per connect"
        s = session_in_redis(r, pid)
        assert s["s"] == "live" and s["g"] == "1"
        assert s["d"]["sid"] == sid and s["d"]["rooms"] == [sid]
        assert s["d"]["disconnect_seq"] is None
        lifetime = r.pttl(st.Keys.of("socketio").session("/", pid))
        assert 120_000 < lifetime <= st.live_ttl_ms(120)

        before = evalsha_calls(r)
        assert c.emit_with_ack("join_only", "a") == ["joined"]
        wait_until(lambda: "a" in session_in_redis(r, pid)["d"]["rooms"], "the join")
        assert evalsha_calls(r) - before == 1, "one round trip per join"

        before = evalsha_calls(r)
        for k in range(5):
            node.emit("chat", k, "a")
        c.wait_for(lambda rep: rep["ev"] == "event" and rep["args"][0] == 4)
        assert evalsha_calls(r) - before == 5, "each emit is its append, and nothing more"

        before = evalsha_calls(r)
        assert node.call("call", "leave_room", [sid, "a"], {}) is None
        wait_until(lambda: session_in_redis(r, pid)["d"]["rooms"] == [sid], "the leave")
        assert evalsha_calls(r) - before == 1, "one round trip per leave"

        assert node.call("call", "save_session", [sid, {"user": "ann"}], {}) is None
        wait_until(
            lambda: session_in_redis(r, pid)["d"]["user_session"] == {"user": "ann"},
            "the saved user session",
        )
        # A client that leaves for good takes its session with it.
        start = c.mark()
        c.send("disconnect")
        c.wait_for(lambda rep: rep["ev"] == "disconnect", start=start)
        wait_until(lambda: session_in_redis(r, pid) == {}, "the session to go")


def test_a_connected_clients_session_lifetime_is_renewed(redis_url, r):
    """A live session lives its recovery window plus a margin past its
    node's last renewal, so one of a node that died expires on its own."""
    sio = socketio.Server(client_manager=RedisStreamsManager(redis_url), async_mode="threading")
    sio.enable_connection_state_recovery(max_disconnection_duration=2)
    with wsgi_server(sio) as url:
        client = socketio.Client()
        pids = []
        client.on("connect", lambda: pids.append(client.get_sid()))
        client.connect(url, transports=["websocket"])
        try:
            key = r.keys("{socketio}:recovery:*")[0]
            assert 0 < r.pttl(key) <= st.live_ttl_ms(2)
            r.pexpire(key, 3_000)  # nearer its end: the node renews it
            wait_until(lambda: r.pttl(key) > 3_000, "the renewal", timeout=5)
        finally:
            client.disconnect()
        wait_until(lambda: r.exists(key) == 0, "the session of a client that left")
        sio.manager.redis.close()


# ---- a node dies ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "sig"),
    [
        ("streams", signal.SIGKILL),
        ("async-streams", signal.SIGKILL),
        ("streams", signal.SIGTERM),
    ],
)
def test_clients_of_a_killed_node_are_recovered_on_another(kind, sig, cluster, redis_url, r):
    from jsclient import JsClient  # noqa: PLC0415

    a, b = cluster(kind), cluster(kind)
    writer = RedisStreamsManager(redis_url, write_only=True)
    switch = Switch(a.port)
    try:
        with JsClient() as c1, JsClient() as c2:
            one = c1.connect(switch.url, delay=300)
            two = c2.connect(switch.url, delay=300)
            assert c1.emit_with_ack("join_only", "a") == ["joined"]
            assert c2.emit_with_ack("join_only", "b") == ["joined"]
            assert a.call("call", "save_session", [two["id"], {"user": "bo"}], {}) is None
            a.emit("chat", "a before", "a")
            c1.wait_for(lambda rep: rep["ev"] == "event" and rep["args"][0] == "a before")
            wait_until(
                lambda: session_in_redis(r, two["pid"])["d"]["user_session"] == {"user": "bo"},
                "the saved user session in Redis",
            )
            epoch = a.page("a")["epoch"]
            c1.hold()
            c2.hold()
            switch.backend = b.port
            starts = (c1.mark(), c2.mark())
            a.proc.send_signal(sig)
            a.proc.wait(10)
            for c in (c1, c2):
                c.wait_for(lambda rep: rep["ev"] == "disconnect", "the drop")
            writer.emit("chat", "a while away", room="a")
            writer.flush()
            b.emit("chat", "b while away", "b")
            b.emit("chat", "a from node b", "a")
            back1, back2 = c1.wait_connect(starts[0]), c2.wait_connect(starts[1])
            assert back1["recovered"] is True and back1["id"] == one["id"]
            assert back2["recovered"] is True and back2["id"] == two["id"]
            assert [x[1][0] for x in c1.events(starts[0])] == ["a while away", "a from node b"]
            assert [x[1][0] for x in c2.events(starts[1])] == ["b while away"]
            # Its user session came along, and it is node B's client now.
            assert b.call("call", "get_session", [two["id"]], {}) == {"user": "bo"}
            assert session_in_redis(r, one["pid"])["g"] == "2"
            # History and cursors are unchanged.
            page = b.page("a", since_seq=1, epoch=epoch)
            assert page["gap"] is False and page["epoch"] == epoch
            assert [e["data"] for e in page["entries"]] == ["a while away", "a from node b"]
            # Live traffic keeps reaching them, from any source.
            writer.emit("chat", "live", room="b")
            c2.wait_for(lambda rep: rep["ev"] == "event" and rep["args"][0] == "live")
    finally:
        switch.close()


def test_a_node_that_lost_its_client_ends_the_stale_connection_and_never_resaves(
    cluster, redis_url, r
):
    """A half-open connection: the client's path to node A fails without A
    noticing, the client comes back on node B. B takes the session over;
    A, told through the stream, ends its stale connection without keeping
    anything, and B's session stays whole."""
    from jsclient import JsClient  # noqa: PLC0415

    a, b = cluster("streams"), cluster("async-streams")
    writer = RedisStreamsManager(redis_url, write_only=True)
    switch = Switch(a.port)
    try:
        with JsClient() as c:
            first = c.connect(switch.url, delay=300)
            sid, pid = first["id"], first["pid"]
            assert c.emit_with_ack("join_only", "a") == ["joined"]
            c.hold()
            switch.backend = b.port
            start = c.mark()
            switch.sever()  # A sees nothing: it still holds the connection
            c.wait_for(lambda rep: rep["ev"] == "disconnect", "the drop")
            assert a.call("connected", sid, "/") is True
            writer.emit("chat", "while away", room="a")
            writer.flush()
            back = c.wait_connect(start)
            assert back["recovered"] is True and back["id"] == sid
            assert [x[1][0] for x in c.events(start)] == ["while away"]
            wait_until(lambda: a.call("connected", sid, "/") is False, "A to end its connection")
            s = session_in_redis(r, pid)
            assert (s["s"], s["g"], s["d"]["rooms"]) == ("live", "2", [sid, "a"])
            # A's app cannot write it either (its connection is gone), and
            # the client keeps getting A's emits through B.
            a.emit("chat", "from a", "a")
            c.wait_for(lambda rep: rep["ev"] == "event" and rep["args"][0] == "from a")
            assert session_in_redis(r, pid)["g"] == "2"
            # Its next drop is B's to keep: it comes back recovered again.
            start = c.drop(hold=True)
            wait_until(lambda: session_in_redis(r, pid).get("s") == "dropped", "B's drop")
            writer.emit("chat", "again", room="a")
            writer.flush()
            back = c.wait_connect(start)
            assert back["recovered"] is True and back["id"] == sid
            assert [x[1][0] for x in c.events(start)] == ["again"]
    finally:
        switch.close()

"""RedisStreamsManager and AsyncRedisStreamsManager against a real
redis-server (docs/CONTRACT.md, "Ordered history on Redis Streams"): every
node delivers and records every emit in stream order, so histories, seqs,
epochs and recovery offsets agree on every node; late and cut-off nodes
catch up; what the stream lost shows as a gap."""

import json
import logging
import signal
import threading
import time

import pytest
import redis
import socketio
from cluster import Node, RedisServer, Switch, wait_until
from socketio_history import AsyncRedisStreamsManager, RedisStreamsManager
from socketio_history._streams import live_ttl_ms as st_live_ttl
from socketio_history._streams import room_field

ROOMS = [("/", "a"), ("/", "b"), ("/chat", "a")]


def full_history(node, room, namespace="/"):
    return node.call("call", "get_history", [room], {"namespace": namespace, "limit": None})


def epoch_of(node, room, namespace="/"):
    return node.page(room, namespace)["epoch"]


@pytest.fixture
def cluster(redis_url):
    """Start nodes (closed at the end) on the module's redis-server, emptied
    first so tests do not see each other's streams."""
    started = []
    redis.Redis.from_url(redis_url).flushdb()

    def start(kind, *flags, serve=False, url=redis_url):
        node = Node(kind, url, serve, *flags)
        started.append(node)
        return node

    yield start
    for node in started:
        node.close()


def wait_same(nodes, rooms, want):
    for ns, room in rooms:
        wait_until(
            lambda ns=ns, room=room: all(len(n.history(room, ns)) >= want for n in nodes),
            f"{want} entries of {ns}{room} on every node",
        )


def test_three_nodes_and_an_emitter_emitting_at_once_hold_one_history(redis_url, cluster):
    nodes = [cluster("streams"), cluster("streams"), cluster("async-streams")]
    writer = RedisStreamsManager(redis_url, write_only=True)
    per_source = 12

    def from_node(i, node):
        for k in range(per_source):
            for ns, room in ROOMS:
                node.emit("chat", {"from": i, "k": k}, room, ns)
        node.emit("both", [i, b"\x00\xff"], ["a", "b"])

    def from_writer():
        for k in range(per_source):
            for ns, room in ROOMS:
                writer.emit("news", ("w", k), room=room, namespace=ns)

    threads = [threading.Thread(target=from_node, args=(i, n)) for i, n in enumerate(nodes)]
    threads.append(threading.Thread(target=from_writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sources = len(nodes) + 1
    wait_same(nodes, [("/chat", "a")], sources * per_source)
    wait_same(nodes, [("/", "a"), ("/", "b")], sources * per_source + len(nodes))
    for ns, room in ROOMS:
        first = full_history(nodes[0], room, ns)
        assert [e["seq"] for e in first] == list(range(1, len(first) + 1))
        for other in nodes[1:]:
            assert full_history(other, room, ns) == first, f"{ns}{room} differs"
        epochs = {epoch_of(n, room, ns) for n in nodes}
        assert len(epochs) == 1
    # Concurrent sources really interleaved (the order is the stream's, not
    # one node's emit order).
    senders = [e["data"]["from"] for e in full_history(nodes[0], "a") if e["event"] == "chat"]
    assert senders != sorted(senders)


def test_a_cursor_from_one_node_resumes_on_another_without_a_gap(redis_url, cluster):
    a, b = cluster("streams"), cluster("async-streams")
    for k in range(10):
        a.emit("chat", k, "a")
    wait_same([a, b], [("/", "a")], 10)
    page = a.page("a", limit=4)
    cursor, epoch = page["entries"][-1]["seq"], page["epoch"]
    for k in range(10, 15):
        b.emit("chat", k, "a")
    wait_same([a, b], [("/", "a")], 15)
    on_a = a.page("a", since_seq=cursor, epoch=epoch)
    on_b = b.page("a", since_seq=cursor, epoch=epoch)
    assert on_b["gap"] is False and on_a["gap"] is False
    assert on_b["entries"] == on_a["entries"]
    assert [e["data"] for e in on_b["entries"]] == list(range(cursor, 15))


def test_a_node_started_after_1000_emits_back_fills_them(redis_url, cluster):
    a = cluster("streams")
    assert a.call("call", "enable_history", ["big"], {"max_entries": 2000}) is None
    writer = RedisStreamsManager(redis_url, write_only=True)
    for k in range(1000):
        writer.emit("n", k, room="big")
    wait_until(lambda: len(full_history(a, "big")) == 1000, "1000 entries on the first node")
    late = cluster("async-streams")
    assert late.call("call", "enable_history", ["big"], {"max_entries": 2000}) is None
    assert full_history(late, "big") == full_history(a, "big")
    # ... and then goes on live, in the same order.
    writer.emit("n", "live", room="big")
    wait_until(lambda: len(full_history(late, "big")) == 1001, "the live emit")
    assert full_history(late, "big") == full_history(a, "big")


def stream_rooms(url, room, namespace="/"):
    """What the stream holds for ``room``: (seq, data) in stream order."""
    import json  # noqa: PLC0415

    out = []
    for _, f in redis.Redis.from_url(url).xrange("{socketio}:stream"):
        message = json.loads(f[b"m"])
        rooms = [message["room"]] if isinstance(message["room"], str) else message["room"]
        for pair in filter(None, f.get(b"s", b"").decode().split(",")):
            i, seq = pair.split(":")
            if rooms[int(i)] == room and message["namespace"] == namespace:
                out.append((int(seq), message["data"][0]))
    return out


def test_a_restart_of_redis_mid_traffic_loses_nothing_the_stream_kept(tmp_path, cluster):
    server = RedisServer(tmp_path, persist=True)
    try:
        nodes = [
            cluster("streams", url=server.url),
            cluster("streams", url=server.url),
            cluster("async-streams", url=server.url),
        ]
        for node in nodes:
            for room in ("a", "b"):
                node.call("call", "enable_history", [room], {"max_entries": 10_000})
        writer = RedisStreamsManager(server.url, write_only=True)
        done = threading.Event()

        def traffic():
            k = 0
            while not done.is_set():
                writer.emit("w", k, room="a")  # lost (and logged) while Redis is down
                nodes[k % 3].emit("n", k, "b")
                k += 1
                time.sleep(0.005)

        t = threading.Thread(target=traffic)
        t.start()
        try:
            wait_until(lambda: len(full_history(nodes[0], "a")) >= 20, "traffic before the restart")
            server.restart()
            before = len(full_history(nodes[0], "a"))
            wait_until(lambda: len(full_history(nodes[0], "a")) >= before + 20, "traffic after")
        finally:
            done.set()
            t.join()
        for room in ("a", "b"):
            kept = stream_rooms(server.url, room)
            assert len(kept) >= 40
            n = len(kept)
            for node in nodes:
                wait_until(
                    lambda node=node, room=room, n=n: len(full_history(node, room)) == n,
                    f"every entry of {room} the stream kept",
                )
                got = [(e["seq"], e["data"]) for e in full_history(node, room)]
                assert got == kept, f"{room} differs from what the stream kept"
    finally:
        server.stop()


def test_a_stream_that_lost_everything_starts_a_new_epoch(tmp_path, cluster):
    server = RedisServer(tmp_path, persist=False)
    try:
        a, b = cluster("streams", url=server.url), cluster("async-streams", url=server.url)
        for k in range(5):
            a.emit("chat", k, "a")
        wait_same([a, b], [("/", "a")], 5)
        old = a.page("a")["epoch"]
        server.restart()  # no persistence: stream, seqs and epoch are gone
        deadline = time.monotonic() + 20
        while epoch_of(b, "a") == old and time.monotonic() < deadline:
            a.emit("chat", "again", "a")
            time.sleep(0.2)
        for node in (a, b):
            wait_until(lambda node=node: epoch_of(node, "a") != old, "the new epoch")
            page = node.page("a", since_seq=5, epoch=old)
            assert page["gap"] is True, "an old cursor must see that history restarted"
        assert epoch_of(a, "a") == epoch_of(b, "a")
    finally:
        server.stop()


def a_new_lifetime_on_every_node(nodes, url, old):
    """After Redis came back without entries the nodes had read (``old``:
    a page of room "a" from before): the epoch is ended, once; what is
    emitted next is the room's new lifetime, alike on every node; a cursor
    from before sees a gap."""
    with redis.Redis.from_url(url) as r:
        wait_until(lambda: r.get("{socketio}:epoch").decode() != old["epoch"], "a new epoch")
    for k in range(3):
        nodes[0].emit("chat", f"after {k}", "a")
    for node in nodes:
        wait_until(
            lambda node=node: (
                [e["data"] for e in node.page("a")["entries"]] == ["after 0", "after 1", "after 2"]
            ),
            "the new lifetime (what a client that resyncs gets)",
        )
        page = node.page("a", since_seq=old["last_seq"], epoch=old["epoch"])
        assert page["gap"] is True, "a cursor from before must see that history forked"
        assert page["epoch"] != old["epoch"] and page["epoch"] == node.page("a")["epoch"]
    assert nodes[0].page("a") == nodes[1].page("a")
    assert [node.call("stats")["rewound"] for node in nodes] == [1, 1]


@pytest.mark.parametrize("reader", ["live", "back-fill"])
def test_a_redis_back_from_an_older_snapshot_begins_a_new_epoch(tmp_path, cluster, reader):
    """Redis comes back without the newest entries but with the epoch and
    seq counters from before them (a crash between RDB saves; Sentinel
    promoting a replica that lagged). The nodes had read those entries (as
    they came, or by back-filling a room at start): the seqs handed out
    next would name other entries than the ones they hold. A node that
    finds the last entry it read gone begins a new epoch, so a cursor from
    before sees a gap, and what is emitted next reaches every node,
    recorded alike."""
    server = RedisServer(tmp_path)  # no saves of its own; SAVE below
    try:
        start = lambda: [  # noqa: E731
            cluster("streams", url=server.url),
            cluster("async-streams", url=server.url),
        ]
        nodes = start() if reader == "live" else []
        # The room has history in the cluster (its emits get seqs) before
        # the "back-fill" nodes start.
        redis.Redis.from_url(server.url).sadd("{socketio}:history-rooms", room_field("/", "a"))
        writer = RedisStreamsManager(server.url, write_only=True)
        for k in range(5):
            writer.emit("chat", k, room="a")
        assert writer.flush(10)
        redis.Redis.from_url(server.url).save()  # the snapshot it comes back from
        for k in range(5, 8):
            writer.emit("chat", k, room="a")
        assert writer.flush(10)
        nodes = nodes or start()  # "back-fill": they read no entry
        wait_same(nodes, [("/", "a")], 8)
        old = nodes[0].page("a")
        assert old["last_seq"] == 8
        server.kill()  # entries 6-8 were never saved
        server.start()
        assert len(stream_rooms(server.url, "a")) == 5
        a_new_lifetime_on_every_node(nodes, server.url, old)
    finally:
        server.stop()


def test_a_node_cut_off_past_the_streams_bound_sees_a_gap(redis_url, cluster):
    """A node that cannot read while the stream is trimmed past its position
    resumes with a gap where the trimmed entries were, never a silent skip."""
    a = cluster("streams", "--maxlen=100")
    cut = cluster("streams", "--maxlen=100")
    for k in range(20):
        a.emit("chat", k, "a")
    wait_same([a, cut], [("/", "a")], 20)
    before = cut.page("a")
    cut.proc.send_signal(signal.SIGSTOP)
    try:
        writer = RedisStreamsManager(redis_url, write_only=True, maxlen=100)
        for k in range(20, 600):
            writer.emit("chat", k, room="a")
    finally:
        cut.proc.send_signal(signal.SIGCONT)
    wait_until(lambda: cut.history("a")[-1][2] == 600, "the cut-off node catching up")
    page = cut.page("a", since_seq=before["last_seq"], epoch=before["epoch"])
    assert page["gap"] is True
    assert [e["seq"] for e in page["entries"]] == [e["seq"] for e in a.page("a")["entries"]]


def test_a_dropped_connection_to_redis_resumes_where_it_stopped(redis_url, cluster):
    nodes = [cluster("streams"), cluster("async-streams")]
    writer = RedisStreamsManager(redis_url, write_only=True)
    r = redis.Redis.from_url(redis_url)
    for k in range(50):
        writer.emit("chat", k, room="a")
        if k in (10, 30):
            r.client_kill_filter(_type="normal", skipme=True)
    wait_same(nodes, [("/", "a")], 50)
    for node in nodes:
        assert [e[1] for e in node.history("a")] == list(range(50))


def test_the_js_client_drops_from_node_a_and_recovers_on_node_b(redis_url, cluster):
    from jsclient import JsClient  # noqa: PLC0415

    a = cluster("streams", "--recovery", serve=True)
    b = cluster("streams", "--recovery", serve=True)
    writer = RedisStreamsManager(redis_url, write_only=True)
    writer.emit("chat", "before", room="a")
    wait_same([a, b], [("/", "a")], 1)
    switch = Switch(a.port)
    try:
        with JsClient() as c:
            first = c.connect(switch.url, delay=800)
            assert c.emit_with_ack("join_only", "a") == ["joined"]
            switch.backend = b.port
            start = c.drop()
            writer.emit("chat", "from an emitter", room="a")
            writer.flush()  # in the stream before node A's
            a.emit("chat", "from node a", "a")
            b.emit("chat", "from node b", "a")
            writer.emit("chat", "to another room", room="b")
            back = c.wait_connect(start)
            assert back["recovered"] is True and back["id"] == first["id"]
            got = c.events(start)
            texts = [args[0] for _, args in got]
            assert texts == ["from an emitter", "from node a", "from node b"]
            offsets = [args[-1] for _, args in got]
            assert len(set(offsets)) == 3
            # The offsets are node B's, and they are node A's too: the same
            # events carry the same offsets on every node.
            log_a = a.call("call", "get_history", ["a"], {"limit": 3})
            assert [e["data"] for e in log_a] == texts
            # The session is node B's now, at the next generation.
            r = redis.Redis.from_url(redis_url)
            (key,) = r.keys("{socketio}:recovery:*")
            assert r.hget(key, "s") == b"live" and r.hget(key, "g") == b"2"
            # Live events keep arriving on node B.
            a.emit("chat", "live", "a")
            c.wait_for(lambda rep: rep["ev"] == "event" and rep["args"][0] == "live")
    finally:
        switch.close()


# ---- in one process: behaviour at the edges ---------------------------


@pytest.fixture
def url(redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def _server(url, **kw):
    sio = socketio.Server(client_manager=RedisStreamsManager(url, **kw), async_mode="threading")
    return sio


def test_options_are_checked():
    with pytest.raises(TypeError, match="maxlen"):
        RedisStreamsManager(maxlen="10")
    with pytest.raises(TypeError, match="maxlen"):
        AsyncRedisStreamsManager(maxlen=True)
    with pytest.raises(ValueError, match="maxlen"):
        RedisStreamsManager(maxlen=0)


def test_enable_history_with_bad_options_changes_nothing_locally_or_in_redis(url):
    import asyncio  # noqa: PLC0415

    r = redis.Redis.from_url(url)
    sio = _server(url)
    with pytest.raises(ValueError, match="max_entries"):
        sio.enable_history("a", max_entries=0)
    with pytest.raises(TypeError):
        sio.enable_history("a", max_entries="10")
    assert not sio.history.is_enabled("a")
    assert r.smembers("{socketio}:history-rooms") == set()
    sio.enable_history("a")  # a good call still works, and names the room
    assert r.smembers("{socketio}:history-rooms") == {b"/\x00a"}

    async def scenario():
        asio = socketio.AsyncServer(client_manager=AsyncRedisStreamsManager(url))
        with pytest.raises(ValueError, match="max_entries"):
            await asio.enable_history("b", max_entries=-1)
        assert not asio.history.is_enabled("b")
        await asio.manager.redis.aclose()

    asyncio.run(scenario())
    assert r.smembers("{socketio}:history-rooms") == {b"/\x00a"}


def test_an_ignore_queue_emit_is_delivered_here_and_not_recorded(url):
    sio = _server(url)
    sio.enable_history("a")
    sio.emit("chat", "through the stream", to="a")
    sio.emit("chat", "local only", to="a", ignore_queue=True)
    sio.emit("chat", "after", to="a")
    wait_until(lambda: len(sio.get_history("a")) == 2, "the streamed emits")
    assert [(e["seq"], e["data"]) for e in sio.get_history("a")] == [
        (1, "through the stream"),
        (2, "after"),
    ]


def test_entries_that_are_not_the_managers_are_skipped(url, caplog):
    sio = _server(url)
    sio.enable_history("a")
    r = redis.Redis.from_url(url)
    r.xadd("{socketio}:stream", {"m": "not json"})
    r.xadd("{socketio}:stream", {"x": "no message"})
    r.xadd("{socketio}:stream", {"m": '{"method": "emit", "room": "a"}', "e": "x", "s": "9:1"})
    with caplog.at_level(logging.WARNING, logger="socketio_history"):
        sio.emit("chat", "still fine", to="a")
        wait_until(lambda: sio.get_history("a"), "the emit after the junk")
    assert [e["data"] for e in sio.get_history("a")] == ["still fine"]
    assert "skipped stream entry" in caplog.text


def _blob(pid, **change):
    session = {
        "sid": "s",
        "pid": pid,
        "rooms": ["s", "a"],
        "user_session": {"user": "ann"},
        "epoch": "0123456789ab",
        "connect_seq": 0,
        "sent": [],
        "sent_base": None,
        "window_full": False,
        "disconnect_seq": 0,
    }
    return json.dumps({**session, **change})


def test_a_malformed_session_in_redis_gives_a_fresh_connection(url, caplog):
    sio = _server(url)
    sio.enable_connection_state_recovery(max_disconnection_duration=5)
    mgr = sio.manager
    r = redis.Redis.from_url(url)
    pid = "p" * 22
    key = mgr.keys.session("/", pid)
    r.set(key, "{not json")  # not even a hash
    assert mgr.take_session("/", pid, None) is None
    r.delete(key)
    for bad in ("{not json", _blob(pid, rooms="a"), _blob(pid, connect_seq="0"), "[]"):
        r.hset(key, mapping={"o": "x", "g": 1, "s": "dropped", "d": bad})
        assert mgr.take_session("/", pid, None) is None, bad
    assert "malformed session" in caplog.text
    for pid in ("../../etc", 12, None, "x" * 65):
        assert mgr.take_session("/", pid, None) is None
    # A user session Redis cannot hold as JSON is not written.
    from socketio_history._streams import session_blob, session_from_blob  # noqa: PLC0415

    session = session_from_blob(_blob("q" * 22))
    session.user_session = {"obj": object()}
    assert session_blob(session) is None


def _keep(r, key, blob, owner="a-node-that-died", gen=1, px=5000):
    """A dropped session as a node writes it."""
    r.hset(key, mapping={"o": owner, "g": gen, "s": "dropped", "d": blob})
    r.pexpire(key, px)


def test_a_session_another_node_kept_is_taken_over_here(url):
    sio = _server(url)
    sio.enable_connection_state_recovery(max_disconnection_duration=5)
    mgr = sio.manager
    r = redis.Redis.from_url(url)
    pid = "p" * 22
    key = mgr.keys.session("/", pid)
    _keep(r, key, _blob(pid))
    back = mgr.take_session("/", pid, None)
    assert (back.sid, back.rooms, back.user_session, back.fence) == (
        "s",
        ["s", "a"],
        {"user": "ann"},
        2,
    )
    assert r.hget(key, "o").decode() == mgr.host_id
    assert 0 < r.pttl(key) <= st_live_ttl(5)
    assert r.xlen(mgr.keys.stream) == 0, "a dropped session's takeover is not announced"
    # Taken again (a later reconnection wins): the next generation.
    assert mgr.take_session("/", pid, None).fence == 3


def test_the_async_manager_takes_and_deletes_sessions_under_their_fence(url):
    import asyncio  # noqa: PLC0415

    r = redis.Redis.from_url(url)
    pid = "q" * 22

    async def scenario():
        sio = socketio.AsyncServer(client_manager=AsyncRedisStreamsManager(url))
        await sio.enable_connection_state_recovery(max_disconnection_duration=2)
        mgr = sio.manager
        _keep(r, mgr.keys.session("/chat", pid), _blob(pid))
        assert await mgr.take_session("/", pid, None) is None, "another namespace's"
        back = await mgr.take_session("/chat", pid, None)
        assert (back.sid, back.rooms, back.fence) == ("s", ["s", "a"], 2)
        assert await mgr.take_session("/chat", "bad pid!", None) is None
        mgr.session_gone("/chat", pid, 7)  # not the generation it holds
        mgr.session_gone("/", pid, 2)  # no such session there
        await mgr._session_writer
        assert r.exists(mgr.keys.session("/chat", pid)) == 1
        mgr.session_gone("/chat", pid, 2)
        await mgr._session_writer
        assert r.exists(mgr.keys.session("/chat", pid)) == 0
        await mgr.redis.aclose()

    asyncio.run(scenario())

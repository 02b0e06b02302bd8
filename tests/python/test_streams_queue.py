"""The queue in front of the Redis stream (docs/STREAMS.md, "Batched
appends"): an emit returns once queued, a writer appends what waits in
batches, one round trip each, in order; the queue is bounded, `flush()`
waits for the stream, and an outage drops (and counts) only what found the
queue full. Against a real redis-server."""

import asyncio
import logging
import subprocess
import sys
import threading

import pytest
import redis
import socketio
from cluster import RedisServer, wait_until
from conftest import skip_or_fail
from socketio_history import AsyncRedisStreamsManager, RedisStreamsManager


@pytest.fixture
def url(redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def node(url, *rooms, **options):
    """A threading server on the streams manager, history on ``rooms``."""
    sio = socketio.Server(
        client_manager=RedisStreamsManager(url, **options), async_mode="threading"
    )
    for room in rooms:
        sio.enable_history(room, max_entries=100_000)
    return sio


def data_of(sio, room):
    return [e["data"] for e in sio.get_history(room, limit=None)]


def evalsha_calls(r):
    return r.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)


def test_queue_options_are_checked():
    for bad in ("10", 1.5, True):
        with pytest.raises(TypeError, match="max_queue"):
            RedisStreamsManager(max_queue=bad)
    with pytest.raises(ValueError, match="max_queue"):
        AsyncRedisStreamsManager(max_queue=0)
    for bad in ("1", None):
        with pytest.raises(TypeError, match="queue_timeout"):
            RedisStreamsManager(queue_timeout=bad)
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="queue_timeout"):
            AsyncRedisStreamsManager(queue_timeout=bad)


def test_a_burst_is_appended_in_batches_in_order_and_flush_waits_for_it(url):
    a, b = node(url, "a", "b"), node(url, "a", "b")
    writer = RedisStreamsManager(url, write_only=True)
    r = redis.Redis.from_url(url)
    writer.emit("warm", 0, room="a")  # the script loaded
    assert writer.flush(timeout=10)
    before, batches = evalsha_calls(r), writer.queue_stats()["batches"]
    for k in range(2_000):
        writer.emit("chat", k, room="a" if k % 3 else "b")
    assert writer.flush(timeout=30) is True
    stats = writer.queue_stats()
    assert stats["waiting"] == 0 and stats["appended"] == stats["queued"] == 2_001
    assert stats["dropped"] == 0
    round_trips = evalsha_calls(r) - before
    assert round_trips == stats["batches"] - batches
    assert round_trips < 2_000 / 10, "emits travel in batches"
    assert r.xlen("{socketio}:stream") == 2_001
    want_a = [k for k in range(2_000) if k % 3]
    want_b = [k for k in range(2_000) if not k % 3]
    for sio in (a, b):
        wait_until(lambda sio=sio: len(data_of(sio, "b")) == len(want_b), "room b everywhere")
        wait_until(lambda sio=sio: len(data_of(sio, "a")) == len(want_a) + 1, "room a")
        assert data_of(sio, "a")[1:] == want_a and data_of(sio, "b") == want_b
        seqs = [e["seq"] for e in sio.get_history("a", limit=None)]
        assert seqs == list(range(1, len(want_a) + 2))


def test_each_emitter_keeps_its_order_and_every_node_the_same(url):
    a, b = node(url, "r"), node(url, "r")
    emitters = [RedisStreamsManager(url, write_only=True) for _ in range(3)]

    def emit_from(i):
        for k in range(300):
            emitters[i].emit("chat", [i, k], room="r")

    threads = [threading.Thread(target=emit_from, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in emitters:
        assert e.flush(timeout=30)
    for sio in (a, b):
        wait_until(lambda sio=sio: len(data_of(sio, "r")) == 900, "every emit everywhere")
    got = data_of(a, "r")
    assert got == data_of(b, "r"), "one order on every node"
    for i in range(3):
        assert [k for j, k in got if j == i] == list(range(300)), f"emitter {i} in order"


def test_an_emitter_that_exits_right_away_loses_nothing(url):
    script = (
        "import sys\n"
        "from socketio_history import RedisStreamsManager\n"
        "mgr = RedisStreamsManager(sys.argv[1], write_only=True)\n"
        "for k in range(500):\n"
        "    mgr.emit('chat', k, room='a')\n"
    )
    subprocess.run([sys.executable, "-c", script, url], check=True, timeout=60)
    assert redis.Redis.from_url(url).xlen("{socketio}:stream") == 500


def test_redis_away_with_the_queue_full_drops_and_counts_only_what_found_it_full(tmp_path, caplog):
    server = RedisServer(tmp_path, persist=True)
    try:
        reader = node(server.url, "a")
        writer = RedisStreamsManager(server.url, write_only=True, max_queue=50, queue_timeout=0.02)
        writer.emit("chat", "before", room="a")
        assert writer.flush(timeout=10)
        wait_until(lambda: data_of(reader, "a") == ["before"], "the first emit")
        server.stop()
        with caplog.at_level(logging.ERROR):
            for k in range(120):
                assert writer.emit("chat", k, room="a") is None  # never raises
            wait_until(lambda: writer.queue_stats()["retries"] >= 1, "a failed append")
            stats = writer.queue_stats()
            assert writer.flush(timeout=0.2) is False
        kept = stats["queued"] - 1
        assert kept >= 50 and kept + stats["dropped"] == 120
        assert "message dropped" in caplog.text and "cannot append" in caplog.text
        server.start()  # on the same port, with what it had
        assert writer.flush(timeout=30) is True
        assert writer.queue_stats()["appended"] == kept + 1
        # What was queued landed once, in order; what found the queue full
        # was the rest.
        wait_until(lambda: len(data_of(reader, "a")) == kept + 1, "the queued emits", 30)
        assert data_of(reader, "a") == ["before", *range(kept)]
    finally:
        server.stop()


def test_the_async_manager_batches_and_flushes_in_order(url):
    r = redis.Redis.from_url(url)
    reader = node(url, "a")

    async def scenario():
        mgr = AsyncRedisStreamsManager(url, write_only=True, max_queue=100)
        for k in range(1_000):  # past the bound: emits wait for room
            await mgr.emit("chat", k, room="a")
        assert await mgr.flush(timeout=30) is True
        stats = mgr.queue_stats()
        assert stats["appended"] == stats["queued"] == 1_000 and stats["dropped"] == 0
        assert stats["batches"] < 100
        await mgr.redis.aclose()

    asyncio.run(scenario())
    assert r.xlen("{socketio}:stream") == 1_000
    wait_until(lambda: len(data_of(reader, "a")) == 1_000, "every emit")
    assert data_of(reader, "a") == list(range(1_000))


def test_both_managers_read_with_hiredis_when_it_is_installed(url):
    """The `hiredis` extra: redis-py parses replies with it whenever it is
    installed, for both managers (make test installs it)."""
    try:
        import hiredis  # noqa: F401, PLC0415
    except ImportError:
        skip_or_fail("hiredis is not installed (make test installs it)")
    from redis._parsers import _AsyncHiredisParser, _HiredisParser  # noqa: PLC0415

    # A connection of each manager's pool, as it would parse replies.
    mgr = RedisStreamsManager(url)
    assert isinstance(mgr._client().connection_pool.make_connection()._parser, _HiredisParser)

    async def scenario():
        amgr = AsyncRedisStreamsManager(url)
        conn = amgr._client().connection_pool.make_connection()
        assert isinstance(conn._parser, _AsyncHiredisParser)
        await amgr.redis.aclose()

    asyncio.run(scenario())


def test_many_answers_streamed_at_once_reach_every_client_exactly(url):
    """The AI-answer load at reduced size: 40 answers streamed token by token
    from 8 threads on node A travel the batched path, each append right
    after the last (an operation waits until its own node applied it); a
    client on node B ends with each answer's exact text, and both nodes
    hold it."""
    from realserver import wsgi_server  # noqa: PLC0415

    answers, tokens = 40, 15
    a, b = node(url, "ai"), node(url, "ai")

    @b.on("join")
    def join(sid):
        b.enter_room(sid, "ai")
        return "joined"

    texts = {f"m{i}": "" for i in range(answers)}
    finals = set()
    done = threading.Event()
    with wsgi_server(b) as b_url:
        client = socketio.Client()

        @client.on("history:append")
        def on_append(op):
            texts[op["message_id"]] += op["fragment"]
            if op["final"]:
                finals.add(op["message_id"])
                if len(finals) == answers:
                    done.set()

        client.connect(b_url, transports=["websocket"])
        try:
            assert client.call("join") == "joined"
            for mid in texts:
                a.create_message("ai", "answer", "", message_id=mid)
            batches = a.manager.queue_stats()["batches"]

            def stream(worker):
                for k in range(tokens):
                    for i in range(worker, answers, 8):
                        a.append_message("ai", f"m{i}", f"t{k} ", final=k == tokens - 1)

            workers = [threading.Thread(target=stream, args=(w,)) for w in range(8)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            assert a.manager.flush(timeout=30)
            assert done.wait(30), f"{len(finals)} of {answers} answers finished"
        finally:
            client.disconnect()
    want = "".join(f"t{k} " for k in range(tokens))
    assert texts == {mid: want for mid in texts}
    for sio in (a, b):
        wait_until(
            lambda sio=sio: all(sio.get_message("ai", m)["final"] for m in texts), "every answer"
        )
        assert {m: sio.get_message("ai", m)["data"] for m in texts} == texts
    # Each caller waits until its node applied its append (the next one is
    # checked against it); the 8 streaming threads share round trips.
    appends = answers * tokens
    assert a.manager.queue_stats()["batches"] - batches < appends * 0.75, "appends share batches"


def test_a_node_that_falls_more_than_maxlen_behind_says_so(url, caplog):
    """Entries trimmed before a slow node read them never reach its
    clients: the node logs it and counts it (``overrun``), and goes on."""
    import time  # noqa: PLC0415

    from socketio_history._state import delivery_lock  # noqa: PLC0415

    b = node(url, "a", maxlen=10)
    writer = RedisStreamsManager(url, write_only=True, maxlen=10)
    r = redis.Redis.from_url(url)
    writer.emit("chat", "first", room="a")
    assert writer.flush(timeout=10)
    wait_until(lambda: data_of(b, "a") == ["first"], "node b to read")
    assert b.manager.queue_stats()["overrun"] == 0
    with delivery_lock(b):  # b's reader stops at its next entry
        writer.emit("chat", "read", room="a")
        assert writer.flush(timeout=10)
        time.sleep(0.3)  # it has read that one and waits to deliver it
        for k in range(1_000):
            writer.emit("chat", k, room="a")
        assert writer.flush(timeout=30)
        assert r.xlen("{socketio}:stream") < 1_000, "the stream was trimmed"
    wait_until(lambda: b.manager.queue_stats()["overrun"] == 1, "the overrun counted")
    assert "fell more than maxlen (10) entries behind" in caplog.text
    writer.emit("chat", "after", room="a")
    assert writer.flush(timeout=10)
    wait_until(lambda: data_of(b, "a")[-1:] == ["after"], "node b to go on")
    assert b.manager.queue_stats()["overrun"] == 1

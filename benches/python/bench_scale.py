"""Scale benchmarks, each run in a fresh process by ``bench_python.py``
(``make bench``), printing one JSON line:

* ``emitter KIND URL N``: one write-only emitter process emits N ~200-byte
  messages to a room as fast as it can and waits until they are in Redis:
  ``streams`` (RedisStreamsManager, batched, then ``flush()``) or
  ``pubsub`` (RedisManager, one PUBLISH per emit).
* ``storm MODE N``: an AsyncServer under aiohttp, N official socket.io-client
  sockets (tests/js/storm.js) in one room; they drop at once, the server
  emits 20 events, they reconnect at once. MODE ``recovery`` (connection
  state recovery on: all must come back recovered with exactly the 20
  events) or ``plain`` (python-socketio's own reconnect, fresh sessions).
  Also the server's RSS per connected client. ``storm MODE N no-deflate``:
  the same with clients that do not offer permessage-deflate (python-
  engineio's aiohttp driver deflates every frame of a client that does).
* ``storm-js N``: the same storm against the official JS server with its
  connection state recovery (tests/js/server.js).
* ``cluster KIND URL CLIENTS RATE SECONDS BURST``: three AsyncServer node
  processes (tests/python/node.py, ``async-streams`` or ``async-redis``)
  and two emitter processes (``cluster-emitter``). Both emit RATE
  timestamped messages a second for SECONDS to a room with CLIENTS official
  clients on each node (delivery latency p50/p99 at every client), then
  BURST messages each as fast as they can to a room with one client on
  each node (sustained throughput: emits delivered to every client per
  second, from the first emit to the last arrival).
* ``ai URL ANSWERS RATE TOKENS CLIENTS``: two ``async-streams`` nodes each
  stream ANSWERS/2 answers at once (``append_message``, RATE tokens a
  second, TOKENS each), CLIENTS official clients on each node; every client
  must end with each answer's exact text; append-to-delivery latency.
"""

import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

# The cluster's stream holds a whole burst: a node that fell further behind
# would lose entries (counted as overrun; docs/STREAMS.md).
MAXLEN = 100_000
PAYLOAD = {"user": "alice", "text": "x" * 120, "ts": 1700000000.123, "tags": ["a", "b"]}
MISSED = 20


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def emitter(kind, url, n):
    import socketio  # noqa: PLC0415
    import socketio_history  # noqa: PLC0415

    if kind == "streams":
        mgr = socketio_history.RedisStreamsManager(url, write_only=True, channel="bench-emit")
    else:
        mgr = socketio.RedisManager(url, write_only=True, channel="bench-emit")
    mgr.emit("warm", 0, room="r")
    if kind == "streams":
        mgr.flush()
    t = time.perf_counter()
    for _ in range(n):
        mgr.emit("chat", PAYLOAD, room="r")
    if kind == "streams":
        assert mgr.flush(timeout=120)
        stats = mgr.queue_stats()
        assert stats["dropped"] == 0 and stats["waiting"] == 0
    elapsed = time.perf_counter() - t
    return {"emits": n, "seconds": elapsed, "per_s": n / elapsed}


def cluster_emitter(kind, url, room, n, rate):
    """Emits ``n`` timestamped messages to ``room`` (RATE a second, or as
    fast as it can when 0), then waits until they are in Redis."""
    import socketio  # noqa: PLC0415
    import socketio_history  # noqa: PLC0415

    if kind == "streams":
        mgr = socketio_history.RedisStreamsManager(url, write_only=True, maxlen=MAXLEN)
    else:
        mgr = socketio.RedisManager(url, write_only=True)
    mgr.emit("warm", 0, room="warm")
    if kind == "streams":
        mgr.flush()
    first = time.time() * 1000
    start = time.monotonic()
    for i in range(n):
        mgr.emit("tick", {"t": time.time() * 1000, "i": i, "text": "x" * 120}, room=room)
        if rate:
            time.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))
    if kind == "streams":
        assert mgr.flush(timeout=120)
        assert mgr.queue_stats()["dropped"] == 0
    return {"emits": n, "first_ms": first}


def emitters(kind, url, room, n, rate, count=2):
    """``count`` emitter processes at once; their reports."""
    args = ["cluster-emitter", kind, url, room, str(n), str(rate)]
    procs = [
        subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    return [json.loads(o.strip().splitlines()[-1]) for o in outs]


def fresh(url):
    """Each run starts from an empty Redis: no stream left by the last."""
    import redis  # noqa: PLC0415

    with redis.Redis.from_url(url) as r:
        r.flushdb()


def all_got(storm, n, timeout):
    """Until every socket got ``n`` timestamped events; their latency."""
    wait_until(lambda: min(storm.latency()["counts"]) >= n, timeout=timeout)
    got = storm.latency()
    assert set(got["counts"]) == {n}, "every client gets every emit once"
    return got


def cluster(kind, url, clients, rate, seconds, burst):
    import conftest  # noqa: F401, PLC0415 (first: it imports cluster, cluster imports it)
    from cluster import Node  # noqa: PLC0415
    from jsclient import JsStorm  # noqa: PLC0415

    fresh(url)
    node_kind = "async-streams" if kind == "streams" else "async-redis"
    nodes = [Node(node_kind, url, True, f"--maxlen={MAXLEN}") for _ in range(3)]
    try:
        # Latency: CLIENTS sockets per node in room "a"; throughput: one per
        # node in room "b" (more would measure python-socketio's fan-out).
        with JsStorm() as many, JsStorm() as few:
            for node in nodes:
                many.open(f"http://127.0.0.1:{node.port}", clients, "a", timeout=120)
                few.open(f"http://127.0.0.1:{node.port}", 1, "b", timeout=120)
            # pub/sub keeps no backlog: wait until every node hears the channel
            deadline = time.monotonic() + 30
            while min(many.latency()["counts"]) == 0:
                emitters(kind, url, "a", 1, 0, count=1)
                time.sleep(0.3)
                if time.monotonic() > deadline:
                    raise RuntimeError("the nodes never all heard the channel")
            many.reset()
            n = int(rate * seconds)
            emitters(kind, url, "a", n, rate)
            steady = all_got(many, 2 * n, 120)
            sent = emitters(kind, url, "b", burst, 0)
            flood = all_got(few, 2 * burst, 300)
    finally:
        for node in nodes:
            node.close()
    seconds_to_last = (flood["last"] - min(e["first_ms"] for e in sent)) / 1000
    return {
        "nodes": len(nodes),
        "clients": clients * len(nodes),
        "rate": 2 * rate,
        "p50": steady["p50"],
        "p99": steady["p99"],
        "burst": 2 * burst,
        "throughput": 2 * burst / seconds_to_last,
    }


def ai(url, answers, rate, tokens, clients):
    import conftest  # noqa: F401, PLC0415 (first: it imports cluster, cluster imports it)
    from cluster import Node  # noqa: PLC0415
    from jsclient import JsStorm  # noqa: PLC0415

    # The room holds every operation of every answer: with the default 100
    # entries the oldest answers would be evicted while still streaming.
    room = f"--max-entries={answers * (tokens + 1)}"
    fresh(url)
    nodes = [Node("async-streams", url, True, room) for _ in range(2)]
    try:
        with JsStorm() as storm:
            for node in nodes:
                storm.open(f"http://127.0.0.1:{node.port}", clients, "a", timeout=120)
            half = answers // 2
            texts = {}
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                calls = [
                    pool.submit(
                        node.call, "ai", "a", [f"n{k}a{i}" for i in range(half)], tokens, rate
                    )
                    for k, node in enumerate(nodes)
                ]
                for call in calls:
                    texts.update(call.result())
            deadline = time.monotonic() + 120
            while (got := storm.texts(texts))["exact"] < 2 * clients:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not every client has every text: {got['example']}")
                time.sleep(0.5)
    finally:
        for node in nodes:
            node.close()
    return {
        "answers": answers,
        "rate": rate,
        "tokens": tokens,
        "clients": 2 * clients,
        "exact": got["exact"],
        "appends": got["appends"],
        "p50": got["p50"],
        "p99": got["p99"],
        "max": got["max"],
    }


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.02)


def storm(mode, n, deflate=True):
    import socketio_history  # noqa: F401, PLC0415
    from jsclient import JsStorm  # noqa: PLC0415
    from realserver import joining_server, running  # noqa: PLC0415

    sio = joining_server("asyncio")

    def count():
        return len(list(sio.manager.get_participants("/", "room")))

    with running(sio) as server:
        if mode == "recovery":
            server.do("enable_connection_state_recovery")
        with JsStorm() as clients:
            before = rss_bytes()
            clients.open(server.url, n, "room", timeout=300, deflate=deflate)
            time.sleep(1.0)  # settled: pings, buffers
            per_client = (rss_bytes() - before) / n
            server.do("emit", "chat", "before", to="room")
            wait_until(lambda: clients.check(["before"])["exact"] == n)
            clients.drop(timeout=300)
            wait_until(lambda: count() == 0)
            for k in range(MISSED):
                server.do("emit", "chat", k, to="room")
            cpu = time.process_time()
            ms = clients.reconnect(timeout=300)
            cpu = time.process_time() - cpu
            got = clients.check(list(range(MISSED)) if mode == "recovery" else [])
    if mode == "recovery":
        assert got["recovered"] == got["same_id"] == got["exact"] == n, got
    return {
        "clients": n,
        "ms": ms,
        "cpu_ms": cpu * 1000,
        "rss_per_client": per_client,
        "recovered": got["recovered"],
    }


def storm_js(n):
    from jsclient import JsServer, JsStorm  # noqa: PLC0415

    with JsServer() as server, JsStorm() as clients:
        url = f"http://127.0.0.1:{server.started['port']}"
        clients.open(url, n, "room", timeout=300)
        server.send("emit", event="chat", args=["before"], to="room")
        wait_until(lambda: clients.check(["before"])["exact"] == n)
        clients.drop(timeout=300)
        # The JS server notices each drop on its own (a closed WebSocket).
        time.sleep(1.0)
        for k in range(MISSED):
            server.send("emit", event="chat", args=[k], to="room")
        time.sleep(0.2)
        ms = clients.reconnect(timeout=300)
        got = clients.check(list(range(MISSED)))
    return {"clients": n, "ms": ms, "recovered": got["recovered"], "exact": got["exact"]}


def main():
    what = sys.argv[1]
    if what == "emitter":
        out = emitter(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif what == "storm":
        out = storm(sys.argv[2], int(sys.argv[3]), deflate=sys.argv[4:] != ["no-deflate"])
    elif what == "cluster-emitter":
        kind, url, room, n, rate = sys.argv[2:7]
        out = cluster_emitter(kind, url, room, int(n), float(rate))
    elif what == "cluster":
        out = cluster(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:8]))
    elif what == "ai":
        out = ai(sys.argv[2], *map(int, sys.argv[3:7]))
    else:
        out = storm_js(int(sys.argv[2]))
    print(json.dumps(out), flush=True)
    os._exit(0)  # reader threads and event loops: nothing left to wait for


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()

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
  Also the server's RSS per connected client.
* ``storm-js N``: the same storm against the official JS server with its
  connection state recovery (tests/js/server.js).
"""

import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

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


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.02)


def storm(mode, n):
    import socketio  # noqa: PLC0415
    import socketio_history  # noqa: F401, PLC0415
    from jsclient import JsStorm  # noqa: PLC0415
    from realserver import running  # noqa: PLC0415

    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.on("join")
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return "joined"

    def count():
        return len(list(sio.manager.get_participants("/", "room")))

    with running(sio) as server:
        if mode == "recovery":
            server.do("enable_connection_state_recovery")
        with JsStorm() as clients:
            before = rss_bytes()
            clients.open(server.url, n, "room", timeout=300)
            time.sleep(1.0)  # settled: pings, buffers
            per_client = (rss_bytes() - before) / n
            server.do("emit", "chat", "before", to="room")
            wait_until(lambda: clients.check(["before"])["exact"] == n)
            clients.drop(timeout=300)
            wait_until(lambda: count() == 0)
            for k in range(MISSED):
                server.do("emit", "chat", k, to="room")
            ms = clients.reconnect(timeout=300)
            got = clients.check(list(range(MISSED)) if mode == "recovery" else [])
    if mode == "recovery":
        assert got["recovered"] == got["same_id"] == got["exact"] == n, got
    return {"clients": n, "ms": ms, "rss_per_client": per_client, "recovered": got["recovered"]}


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
        out = storm(sys.argv[2], int(sys.argv[3]))
    else:
        out = storm_js(int(sys.argv[2]))
    print(json.dumps(out), flush=True)
    os._exit(0)  # reader threads and event loops: nothing left to wait for


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()

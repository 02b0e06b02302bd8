"""Python benchmarks, side by side in one run (``make bench``).

1. Emit overhead: ``sio.emit(event, ~200-byte dict, to=room)`` on a real
   ``socketio.Server`` with 10 participants in the room (packet sending
   replaced by a no-op, so only server-side work is timed): history off vs
   this project vs the pure-Python reference vs a naive hand-written version.
2. Fetch: ``get_history(room, 100)`` and with an include filter, on a
   10,000-entry room, vs the reference, and vs the floor of any read that
   returns fresh objects (new containers for the same entries).
2b. Replay: ``replay_history(sid, room, limit=100)`` to socket.io-client
   over websocket, vs the reference's fetch plus an emit per entry, vs
   handing the same 100 pre-encoded messages to Engine.IO.
3. Redis: the same record and fetch through redis-py against a real
   redis-server on loopback (RPUSH+LTRIM, LRANGE).
5. Recovery: the same emit with connection state recovery on vs off (both
   with history on the room; sending is stubbed at Engine.IO, so the hooks
   around it run), and the time to restore a session that missed 1,000
   events (the core's resume, rejoining, 1,001 packets built and handed to
   Engine.IO), against emitting those 1,000 events.
4. Memory: bytes per retained entry for 1,000,000 entries (100-byte payload,
   10 event names, 1,000 rooms), from RSS for this project and tracemalloc
   for the reference, each in a fresh process.
7. Several nodes: ``RedisStreamsManager`` vs ``RedisManager``, two
   in-process nodes on a real redis-server with history on the room: the
   emit call, an emit's delivery to a client on the other node, and the
   rate at which a burst of emits is recorded on the other node (in a fresh
   process, so the nodes' reader threads disturb no other section); and the
   Redis round trips and time of connection state recovery's session writes
   per connect, join, leave, emit and lost transport (another fresh process).
8. Scale (``bench_scale.py``, each in a fresh process): one write-only
   emitter process's emits per second, streams (batched) vs ``RedisManager``;
   a storm of 1,000 socket.io-client sockets dropping at once, missing 20
   events and reconnecting at once on an AsyncServer, with recovery vs
   python-socketio's own reconnect vs the official JS server (and the first
   two again with clients that do not offer permessage-deflate); the server's
   memory per connected client with recovery on and off; a cluster of three
   AsyncServer node processes and two emitter processes, streams vs pub/sub
   (delivery latency at a steady rate, throughput of a burst); 200 AI
   answers streamed at once across two streams nodes (append-to-delivery
   latency; every client ends with every exact text).
6. Mutable messages: an append vs a plain record of the same token (the
   store, and the server with its emit); the memory of a 4,096-append stream
   (RSS of 100 such streams in a fresh process) against its text and
   against keeping a snapshot per append; the latest view of 100 messages
   vs folding the log in Python.

Writes target/bench/python.json for benches/report.py. Must run with
SOCKETIO_HISTORY_AUTOPATCH=0, so that "history off" is python-socketio's own,
unpatched emit.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if os.environ.get("SOCKETIO_HISTORY_AUTOPATCH") != "0":
    os.environ["SOCKETIO_HISTORY_AUTOPATCH"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])

import socketio
from engineio import packet as eio_packet
from werkzeug.serving import make_server

PLAIN_EMIT = socketio.Manager.emit  # before socketio_history patches it

import socketio_history  # noqa: E402
from reference import NaiveHistory, ReferenceHistory  # noqa: E402
from socketio_history import _recovery_hooks  # noqa: E402
from socketio_history._native import _Replayer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "bench" / "python.json"
ROOM = "lobby"
PAYLOAD = {
    "user": "alice",
    "text": "x" * 120,
    "ts": 1700000000.123,
    "tags": ["general", "release"],
    "id": 123456,
}
QUICK = os.environ.get("BENCH_QUICK") == "1"


def measure(fn, number, rounds):
    """ns per call of fn(number) over several rounds: (median, MAD, samples)."""
    samples = []
    for _ in range(rounds):
        t = time.perf_counter_ns()
        fn(number)
        samples.append((time.perf_counter_ns() - t) / number)
    med = statistics.median(samples)
    return med, statistics.median(abs(s - med) for s in samples), samples


def interleaved(variants, number, rounds):
    """Measure variants round-robin so drift hits them all alike."""
    samples = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            samples[name] += measure(fn, number, 1)[2]
    out = {}
    for name, s in samples.items():
        med = statistics.median(s)
        out[name] = {"median_ns": med, "mad_ns": statistics.median(abs(x - med) for x in s)}
    return out


# ---- 1. emit overhead ---------------------------------------------------


class PlainManager(socketio.Manager):
    """python-socketio's own Manager, without the history hook."""

    emit = PLAIN_EMIT


def recording_manager(store):
    class Recording(PlainManager):
        def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, **kw):
            target = kw.get("to") or room
            if target is not None:
                store.record(target, event, data, namespace)
            return PLAIN_EMIT(
                self, event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kw
            )

    return Recording()


def server_with(manager):
    sio = socketio.Server(client_manager=manager)
    sio._send_eio_packet = lambda eio_sid, pkt: None
    for i in range(10):
        sid = manager.connect(f"eio{i}", "/")
        manager.enter_room(sid, "/", ROOM)
    return sio


def emit_loop(sio):
    def run(n):
        emit = sio.emit
        for _ in range(n):
            emit("chat", PAYLOAD, to=ROOM)

    return run


def bench_emit():
    off = server_with(PlainManager())
    # Another server in this process uses history, so Manager.emit is hooked:
    # this one measures the hook's fast path. (A process where no server
    # uses history runs python-socketio's own emit, untouched.)
    installed = server_with(socketio.Manager())
    other_room = server_with(socketio.Manager())
    other_room.enable_history("another-room")
    ours = server_with(socketio.Manager())
    ours.enable_history(ROOM)
    # The same on a durable store (the default sync policy, "interval": one
    # write(2) per emit, synced in the background).
    durable = server_with(socketio.Manager())
    durable.history = socketio_history.HistoryStore(path=tempfile.mkdtemp(prefix="sioh-bench-"))
    durable.enable_history(ROOM)
    ref = ReferenceHistory()
    ref.enable(ROOM)
    naive = NaiveHistory()
    naive.enable(ROOM)
    variants = {
        "history off (python-socketio alone)": emit_loop(off),
        "socketio-history, server without history": emit_loop(installed),
        "socketio-history, room without history": emit_loop(other_room),
        "socketio-history": emit_loop(ours),
        "socketio-history, durable store (interval)": emit_loop(durable),
        "pure-Python reference": emit_loop(server_with(recording_manager(ref))),
        "naive deque of references": emit_loop(server_with(recording_manager(naive))),
    }
    return interleaved(variants, 2_000 if QUICK else 20_000, 3 if QUICK else 9)


# ---- 5. connection state recovery ------------------------------------


def stubbed_server(recovery):
    """A history server with 10 clients in the room whose packets go
    nowhere at Engine.IO (so the recovery hooks on the send path run)."""
    sio = socketio.Server()
    sio.eio.send_packet = lambda eio_sid, pkt: None
    sio.eio.send = lambda eio_sid, data: None
    sio.enable_history(ROOM)
    if recovery:
        sio.enable_connection_state_recovery()
    rec = _recovery_hooks.recovery_of(sio)
    for i in range(10):
        sid = sio.manager.connect(f"eio{i}", "/")
        sio.manager.enter_room(sid, "/", ROOM)
        if rec is not None:
            rec.connected("/", sid, f"eio{i}")
    return sio


def bench_recovery():

    emits = interleaved(
        {
            "recovery off": emit_loop(stubbed_server(False)),
            "recovery on": emit_loop(stubbed_server(True)),
        },
        2_000 if QUICK else 20_000,
        3 if QUICK else 9,
    )
    missed = 1_000
    sio = stubbed_server(True)
    rec = _recovery_hooks.recovery_of(sio)
    sid = sio.manager.sid_from_eio_sid("eio0", "/")
    pid = rec.live[("/", sid)].pid
    eio = iter(range(10**9))

    def drop_and_miss():
        """Drop the client (its session is kept), then emit what it misses."""
        old = sio.manager.eio_sid_from_sid(sid, "/")
        with rec.lock:
            rec.save(old, "/", sid)
        sio.manager.disconnect(sid, "/")
        rec.forget("/", sid, old)
        for _ in range(missed):
            sio.emit("chat", PAYLOAD, to=ROOM)

    samples, emit_samples = [], []
    offset = None  # the client's: the last event it received
    for _ in range(3 if QUICK else 15):
        t = time.perf_counter_ns()
        drop_and_miss()
        emit_samples.append((time.perf_counter_ns() - t) / missed)
        new = f"new{next(eio)}"
        t = time.perf_counter_ns()
        why = _recovery_hooks._restore_sync(sio, rec, new, "/", pid, offset, None)
        samples.append(time.perf_counter_ns() - t)
        assert why is None, f"the session was not restored: {why}"
        offset = rec.sent["/"][new][-1]
        assert len(rec.sent["/"][new]) == min(missed, 128), "it missed exactly these"
    restore = statistics.median(samples)
    return {
        "emit": emits,
        "restore_1000_ns": restore,
        "restore_mad_ns": statistics.median(abs(x - restore) for x in samples),
        "emit_per_event_ns": statistics.median(emit_samples),
        "missed": missed,
    }


# ---- 2. fetch -----------------------------------------------------------

EVENTS = [f"event{i}" for i in range(10)]


def filled(n=10_000):
    sio = socketio.Server()
    sio.enable_history(ROOM, max_entries=n)
    ref = ReferenceHistory()
    ref.enable(ROOM, max_entries=n)
    for i in range(n):
        sio.emit(EVENTS[i % 10], PAYLOAD, to=ROOM)
        ref.record(ROOM, EVENTS[i % 10], PAYLOAD)
    return sio, ref


def bench_fetch(sio, ref):
    assert len(sio.get_history(ROOM, 100, include_events="event3")) == 100

    def loop(fn):
        def run(n):
            for _ in range(n):
                fn()

        return run

    # The floor of any read that returns fresh objects: new containers for
    # the same 100 entries, copied by CPython's own dict and list code.
    result = sio.get_history(ROOM, 100)

    def fresh_containers():
        return [{**e, "data": {**e["data"], "tags": [*e["data"]["tags"]]}} for e in result]

    variants = {
        "socketio-history: newest 100": loop(lambda: sio.get_history(ROOM, 100)),
        "floor: fresh containers for 100 such entries": loop(fresh_containers),
        "reference: newest 100": loop(lambda: ref.fetch(ROOM, 100)),
        "socketio-history: newest 100, include filter": loop(
            lambda: sio.get_history(ROOM, 100, include_events="event3")
        ),
        "reference: newest 100, include filter": loop(
            lambda: ref.fetch(ROOM, 100, include_events="event3")
        ),
    }
    return interleaved(variants, 100 if QUICK else 1_000, 3 if QUICK else 7)


# ---- 2b. replay to a real client ----------------------------------------


class ReplayClient:
    """benches/js/replay_client.js: socket.io-client under Node, counting
    what it receives (so this process parses nothing per event)."""

    def __init__(self, url):
        node = shutil.which("node")
        script = ROOT / "benches" / "js" / "replay_client.js"
        self.proc = subprocess.Popen(
            [node, str(script), url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.sid = json.loads(self.proc.stdout.readline())["id"]

    def count(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["count"]

    def wait_for(self, n, timeout=60):
        deadline = time.monotonic() + timeout
        while (got := self.count()) < n:
            assert time.monotonic() < deadline, f"the client got {got} of {n} events"
            time.sleep(0.01)
        assert got == n, f"the client got {got} events, expected {n}"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def bench_replay(sio, ref):
    """``replay_history(sid, room, limit=100)`` on the 10,000-entry room of
    section 2, to a socket.io-client connected over websocket to a real
    threading server (werkzeug), against the reference's fetch plus one
    ``emit`` per entry, and against handing 100 pre-encoded messages to
    Engine.IO (the floor of any replay through python-engineio). Timed: the
    call, until every packet is queued on the client's socket; the client
    is then waited for (untimed) until it received every event."""
    server = make_server("127.0.0.1", 0, socketio.WSGIApp(sio), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = ReplayClient(f"http://127.0.0.1:{server.server_port}")
    sid = client.sid
    eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
    _, floor_messages, _ = _Replayer(sio.history).packets(ROOM, sid, 100)
    received = 0

    def ours(n):
        for _ in range(n):
            sio.replay_history(sid, ROOM, limit=100)

    def reference(n):
        for _ in range(n):
            for e in ref.fetch(ROOM, 100):
                sio.emit(e["event"], e["data"], to=sid)

    def floor(n):
        send, make, message = sio._send_eio_packet, eio_packet.Packet, eio_packet.MESSAGE
        for _ in range(n):
            for m in floor_messages:
                send(eio_sid, make(message, m))

    variants = {
        "replay_history (native packets)": ours,
        "reference: fetch + emit per entry": reference,
        "floor: 100 pre-encoded messages to Engine.IO": floor,
    }
    number, rounds = (5, 3) if QUICK else (20, 15)
    samples = {name: [] for name in variants}
    try:
        for _ in range(rounds):
            for name, fn in variants.items():
                samples[name].append(measure(fn, number, 1)[2][0])
                received += 100 * number
                client.wait_for(received)
    finally:
        client.close()
        server.shutdown()
        thread.join(10)
    out = {}
    for name, s in samples.items():
        med = statistics.median(s)
        out[name] = {"median_ns": med, "mad_ns": statistics.median(abs(x - med) for x in s)}
    return out


# ---- 3. redis -----------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis():
    binary = shutil.which("redis-server")
    if binary is None:
        return None, None
    import redis  # noqa: PLC0415

    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    r = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(200):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    r.close()
    return proc, f"redis://127.0.0.1:{port}/0"


def bench_redis(sio, ref):
    proc, url = start_redis()
    if proc is None:
        return {"skipped": "redis-server is not installed"}
    import redis  # noqa: PLC0415

    try:
        r = redis.Redis.from_url(url)
        key = "history:/:" + ROOM

        def redis_record():
            entry = json.dumps({"event": "chat", "data": PAYLOAD, "timestamp": time.time()})
            pipe = r.pipeline(transaction=False)
            pipe.rpush(key + ":record-bench", entry)
            pipe.ltrim(key + ":record-bench", -10_000, -1)
            pipe.execute()

        for i in range(10_000):
            entry = {"event": EVENTS[i % 10], "data": PAYLOAD, "timestamp": time.time()}
            r.rpush(key, json.dumps(entry))

        def redis_fetch():
            return [json.loads(x) for x in r.lrange(key, -100, -1)]

        def redis_fetch_filtered():
            # Redis cannot filter by event: read all, filter, keep the newest.
            entries = [json.loads(x) for x in r.lrange(key, 0, -1)]
            return [e for e in entries if e["event"] == "event3"][-100:]

        # The record benchmarks write to rooms and a key of their own, so the
        # fetch benchmarks below read the same 10,000 entries as section 2.
        store = sio.history
        store.enable("record-bench", max_entries=10_000)
        ref.enable("record-bench", max_entries=10_000)

        def loop(fn):
            def run(n):
                for _ in range(n):
                    fn()

            return run

        n = 200 if QUICK else 2_000
        result = interleaved(
            {
                "record: socketio-history": loop(
                    lambda: store.record("record-bench", "chat", PAYLOAD)
                ),
                "record: reference": loop(lambda: ref.record("record-bench", "chat", PAYLOAD)),
                "record: redis RPUSH+LTRIM": loop(redis_record),
            },
            n,
            3 if QUICK else 7,
        )
        result.update(
            interleaved(
                {
                    "fetch newest 100: socketio-history": loop(lambda: sio.get_history(ROOM, 100)),
                    "fetch newest 100: redis LRANGE": loop(redis_fetch),
                    "fetch newest 100, include filter: socketio-history": loop(
                        lambda: sio.get_history(ROOM, 100, include_events="event3")
                    ),
                    "fetch newest 100, include filter: redis LRANGE + filter": loop(
                        redis_fetch_filtered
                    ),
                },
                max(10, n // 20),
                3 if QUICK else 7,
            )
        )
        r.close()
        return result
    finally:
        proc.terminate()
        proc.wait(10)


# ---- 7. several nodes (in a fresh process) --------------------------------


def node_pair(manager_class, url):
    """Node A (emits) and node B (one client in the room, its sends timed)."""
    a = socketio.Server(client_manager=manager_class(url), async_mode="threading")
    b = socketio.Server(client_manager=manager_class(url), async_mode="threading")
    arrived = threading.Event()
    count = [0]

    def send(eio_sid, pkt):
        count[0] += 1
        arrived.set()

    b._send_eio_packet = send
    for node in (a, b):
        node.enable_history(ROOM, max_entries=10_000)
    sid = b.manager.connect("eio-bench", "/")
    b.manager.enter_room(sid, "/", ROOM)
    # Pub/sub delivers only once subscribed: probe until B hears A.
    deadline = time.monotonic() + 20
    while not b.get_history(ROOM) and time.monotonic() < deadline:
        a.emit("probe", 0, to=ROOM)
        time.sleep(0.05)
    return a, b, arrived, count


def nodes_bench():
    proc, url = start_redis()
    if proc is None:
        return {"skipped": "redis-server is not installed"}
    kinds = {
        "RedisManager (pub/sub)": socketio.RedisManager,
        "RedisStreamsManager": socketio_history.RedisStreamsManager,
    }
    n_latency = 100 if QUICK else 500
    n_burst = 500 if QUICK else 5_000
    out = {}
    try:
        pairs = {name: node_pair(cls, url) for name, cls in kinds.items()}
        calls = {name: [] for name in kinds}
        deliveries = {name: [] for name in kinds}
        # Interleaved, one emit at a time: the emit call on A, and until the
        # client on B was sent the packet.
        for _ in range(n_latency):
            for name, (a, _b, arrived, _count) in pairs.items():
                arrived.clear()
                t = time.perf_counter_ns()
                a.emit("chat", PAYLOAD, to=ROOM)
                calls[name].append(time.perf_counter_ns() - t)
                if not arrived.wait(10):
                    raise RuntimeError(f"{name}: an emit never reached node B")
                deliveries[name].append(time.perf_counter_ns() - t)
        for name, (a, b, _arrived, _count) in pairs.items():
            start = b.get_history_stats(ROOM)["last_seq"]
            t = time.perf_counter_ns()
            for _ in range(n_burst):
                a.emit("chat", PAYLOAD, to=ROOM)
            sent = time.perf_counter_ns() - t
            deadline = time.monotonic() + 120
            while b.get_history_stats(ROOM)["last_seq"] < start + n_burst:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: node B never recorded the burst")
                time.sleep(0.001)
            done = time.perf_counter_ns() - t
            med_c = statistics.median(calls[name])
            med_d = statistics.median(deliveries[name])
            out[name] = {
                "emit_call_ns": med_c,
                "emit_call_mad_ns": statistics.median(abs(x - med_c) for x in calls[name]),
                "delivery_ns": med_d,
                "delivery_mad_ns": statistics.median(abs(x - med_d) for x in deliveries[name]),
                "burst": n_burst,
                "burst_emit_per_s": n_burst / (sent / 1e9),
                "burst_recorded_per_s": n_burst / (done / 1e9),
            }
        return out
    finally:
        proc.terminate()
        proc.wait(10)


# Not an operation's round trip: the stream reader's reads (XREAD, led in
# its pipeline by an XRANGE that checks nothing was trimmed unread), and what
# redis-py sends when it opens a pooled connection.
NOT_COUNTED = {b"XREAD", b"XRANGE", b"HELLO", b"CLIENT", b"PING", b"SUBSCRIBE"}


class RoundTrips:
    """Counts the requests the process sends to Redis (a pipeline is one),
    but for ``NOT_COUNTED``."""

    def __init__(self):
        import redis.connection  # noqa: PLC0415

        self.count = 0
        cls = redis.connection.AbstractConnection
        original = cls.send_packed_command

        def counted(conn, command, check_health=True):
            packed = command if isinstance(command, (bytes, str)) else b"".join(command)
            name = (packed if isinstance(packed, bytes) else packed.encode()).split(b"\r\n")[2]
            if name.upper() not in NOT_COUNTED:
                self.count += 1
            return original(conn, command, check_health)

        cls.send_packed_command = counted


def sessions_bench():
    """Connection state recovery's session writes on one node: Redis round
    trips and time per connect, join, leave, emit and lost transport, with
    sessions in Redis (the streams manager) against in memory only
    (RedisManager with recovery). Clients connect through python-socketio's
    own connect path; Engine.IO is stubbed."""
    proc, url = start_redis()
    if proc is None:
        return {"skipped": "redis-server is not installed"}
    trips = RoundTrips()
    n = 200 if QUICK else 1_000
    kinds = {
        "RedisManager (pub/sub)": socketio.RedisManager,
        "RedisStreamsManager": socketio_history.RedisStreamsManager,
    }
    out = {"clients": n}
    try:
        for name, cls in kinds.items():
            out[name] = session_phases(cls(url), n, trips)
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def emit_round_trips(trips, flush, emits, phases):
    """Round trips per emit once the queued emits are in the stream."""
    before = trips.count
    flush(timeout=60)
    return phases["emit"]["round_trips"] + (trips.count - before) / emits


def session_phases(manager, n, trips):
    sio = socketio.Server(client_manager=manager, async_mode="threading")
    sio._send_eio_packet = lambda eio_sid, pkt: None
    sio.enable_connection_state_recovery()
    sio.enable_history(ROOM)
    eio_sids = [f"eio-{i}" for i in range(n + 1)]

    def connect(eio_sid):
        sio._handle_eio_connect(eio_sid, {})
        sio._handle_eio_message(eio_sid, "0")
        return sio.manager.sid_from_eio_sid(eio_sid, "/")

    # One client through every step first: scripts loaded, the epoch set.
    first = connect(eio_sids[0])
    sio.enter_room(first, ROOM)
    sio.emit("chat", PAYLOAD, to=ROOM)
    sio.leave_room(first, ROOM)
    deadline = time.monotonic() + 10
    while not sio.get_history(ROOM) and time.monotonic() < deadline:
        time.sleep(0.01)  # read back: this node is in the stream's epoch
    phases = {}

    def phase(label, step, items):
        before, t = trips.count, time.perf_counter_ns()
        results = [step(x) for x in items]
        elapsed = time.perf_counter_ns() - t
        phases[label] = {
            "round_trips": (trips.count - before) / len(items),
            "ns": elapsed / len(items),
        }
        return results

    sids = phase("connect", connect, eio_sids[1:])
    phase("join", lambda sid: sio.enter_room(sid, ROOM), sids)
    phase("emit", lambda _: sio.emit("chat", PAYLOAD, to=ROOM), range(100))
    flush = getattr(sio.manager, "flush", None)
    if flush is not None:  # the batched appends are the emits' round trips
        phases["emit"]["round_trips"] = emit_round_trips(trips, flush, 100, phases)
    phase("leave", lambda sid: sio.leave_room(sid, ROOM), sids)
    lost = sio.reason.TRANSPORT_CLOSE
    phase("lost transport", lambda e: sio._handle_eio_disconnect(e, lost), eio_sids[1:])
    return phases


# ---- 8. scale: emitters and reconnect storms (fresh processes) -----------

SCALE = ROOT / "benches" / "python" / "bench_scale.py"


def scale_run(*args):
    proc = subprocess.run(
        [sys.executable, str(SCALE), *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def bench_scale():
    """Emitter processes against Redis (three rounds), the cluster (three),
    the AI answers (one) and 1,000-client reconnect storms (seven), rounds
    interleaved (medians)."""
    out = {}
    proc, url = start_redis()
    if proc is None:
        out["emitters"] = {"skipped": "redis-server is not installed"}
    else:
        n = 5_000 if QUICK else 20_000
        runs = {"RedisStreamsManager": [], "RedisManager (pub/sub)": []}
        clusters = {"streams": [], "pubsub": []}
        # 3 nodes; 5 clients each at 2 x 50 emits/s for 10 s; bursts of 2 x 10,000
        shape = (5, 50, 4 if QUICK else 10, 2_000 if QUICK else 10_000)
        try:
            for _ in range(3):
                runs["RedisStreamsManager"].append(scale_run("emitter", "streams", url, n))
                runs["RedisManager (pub/sub)"].append(scale_run("emitter", "pubsub", url, n))
            for _ in range(1 if QUICK else 3):
                for kind, kind_runs in clusters.items():
                    kind_runs.append(scale_run("cluster", kind, url, *shape))
            # 200 answers at 20 tokens/s, 100 tokens each; 3 clients per node
            out["ai"] = scale_run("ai", url, 200, 20, 40 if QUICK else 100, 3)
        finally:
            proc.terminate()
            proc.wait(10)
        out["emitters"] = {k: {"emits": n, "per_s": median_of(v, "per_s")} for k, v in runs.items()}
        out["cluster"] = {
            kind: {
                **{k: v[0][k] for k in ("nodes", "clients", "rate", "burst")},
                **{k: median_of(v, k) for k in ("p50", "p99", "throughput")},
            }
            for kind, v in clusters.items()
        }
    clients = 200 if QUICK else 1_000
    modes = {
        "recovery": ("storm", "recovery", clients),
        "plain": ("storm", "plain", clients),
        "js": ("storm-js", clients),
        # The same two without permessage-deflate: what the extra frames
        # cost in python-engineio's aiohttp driver, which deflates each one.
        "recovery_nd": ("storm", "recovery", clients, "no-deflate"),
        "plain_nd": ("storm", "plain", clients, "no-deflate"),
    }
    storms = {mode: [] for mode in modes}
    # Storms vary from run to run (two cores shared with the clients' Node
    # process): seven rounds, the order of the modes turning each round so
    # that none always runs first or after the same one.
    order = list(modes)
    for k in range(3 if QUICK else 7):
        for mode in order[k % len(order) :] + order[: k % len(order)]:
            storms[mode].append(scale_run(*modes[mode]))
    times = {k: [r["ms"] for r in v] for k, v in storms.items()}
    out["storm"] = {
        "clients": clients,
        "missed": 20,
        "rounds": len(storms["plain"]),
        **{f"{k}_ms": median_of(v, "ms") for k, v in storms.items()},
        **{f"{k}_cpu_ms": median_of(v, "cpu_ms") for k, v in storms.items() if k != "js"},
        **{f"{k}_range": [min(ms), max(ms)] for k, ms in times.items()},
        **{
            f"{k}_rss_per_client": median_of(storms[k], "rss_per_client")
            for k in ("recovery", "plain", "recovery_nd", "plain_nd")
        },
    }
    return out


def bench_nodes():
    out = {}
    for which in ("--nodes", "--sessions"):
        proc = subprocess.run(
            [sys.executable, __file__, which], capture_output=True, text=True, check=True
        )
        out[which[2:]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# ---- 4. memory (each in a fresh process) ----------------------------------

ENTRIES = 100_000 if QUICK else 1_000_000
ROOMS = 1_000
MEM_EVENTS = [f"event{i}" for i in range(10)]


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def payload_for(i):
    return f"{i:08d}" + "m" * 92  # 100 distinct bytes per entry


def memory_ours():
    from socketio_history import HistoryStore  # noqa: PLC0415

    rooms = [f"room{i}" for i in range(ROOMS)]
    store = HistoryStore()
    for room in rooms:
        store.enable(room, max_entries=ENTRIES // ROOMS)
    before = rss_bytes()
    for i in range(ENTRIES):
        store.record(rooms[i % ROOMS], MEM_EVENTS[i % 10], payload_for(i))
    used = rss_bytes() - before
    assert sum(store.stats(r)["entries_count"] for r in rooms) == ENTRIES
    return used


def memory_reference():
    import tracemalloc  # noqa: PLC0415

    rooms = [f"room{i}" for i in range(ROOMS)]
    ref = ReferenceHistory()
    for room in rooms:
        ref.enable(room, max_entries=ENTRIES // ROOMS)
    tracemalloc.start()
    for i in range(ENTRIES):
        ref.record(rooms[i % ROOMS], MEM_EVENTS[i % 10], payload_for(i))
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return used


# ---- 6. mutable messages -----------------------------------------------

TOKEN = "token "
STREAM_APPENDS = 4096
STREAMS = 100
UNLIMITED = {"max_message_bytes": 2**62, "max_appends": 2**62}


def bench_messages():
    from socketio_history import HistoryStore  # noqa: PLC0415

    number, rounds = (2_000, 5) if QUICK else (20_000, 15)
    store = HistoryStore()
    # Appends and records go to rooms of their own (records would evict
    # the stream), each a full 1,000-entry room.
    store.enable(ROOM, max_entries=1000, **UNLIMITED)
    store.enable("plain", max_entries=1000)
    store.create_message(ROOM, "answer", "", message_id="m")
    sio = server_with(socketio.Manager())
    sio.enable_history(ROOM, max_entries=1000, **UNLIMITED)
    sio.enable_history("plain", max_entries=1000)
    for sid in list(sio.manager.get_participants("/", ROOM)):
        sio.manager.enter_room(sid[0], "/", "plain")
    sio.create_message(ROOM, "answer", "", message_id="m")

    def store_append(n):
        append = store.append_message
        for _ in range(n):
            append(ROOM, "m", TOKEN)

    def store_record(n):
        record = store.record
        for _ in range(n):
            record("plain", "answer", TOKEN)

    def server_append(n):
        append = sio.append_message
        for _ in range(n):
            append(ROOM, "m", TOKEN)

    def server_emit(n):
        emit = sio.emit
        for _ in range(n):
            emit("answer", TOKEN, to="plain")

    ops = interleaved(
        {
            "store: record the token": store_record,
            "store: append the token": store_append,
            "server: emit the token (history on)": server_emit,
            "server: append_message (applied + emitted)": server_append,
        },
        number,
        rounds,
    )

    # The latest view of 100 messages of 10 appends each, vs the fold a user
    # would write over the log.
    room = "answers"
    sio.enable_history(room, max_entries=10_000)
    for i in range(100):
        sio.create_message(room, "answer", "", message_id=f"m{i}")
        for _ in range(10):
            sio.append_message(room, f"m{i}", TOKEN)

    def fold(entries):
        state = {}
        for e in entries:
            mid = e["message_id"]
            if e["action"] == "append":
                state[mid] = (state[mid][0], state[mid][1] + e["data"])
            else:
                state[mid] = (e["event"], e["data"])
        return state

    latest = sio.get_history(room, view="latest")
    assert {e["message_id"]: (e["event"], e["data"]) for e in latest} == fold(sio.get_history(room))

    def read_latest(n):
        for _ in range(n):
            sio.get_history(room, view="latest")

    def read_and_fold(n):
        for _ in range(n):
            fold(sio.get_history(room))

    reads = interleaved(
        {"latest view (native)": read_latest, "log + fold in Python": read_and_fold},
        number // 100,
        rounds,
    )
    proc = subprocess.run(
        [sys.executable, __file__, "--memory", "stream"], capture_output=True, text=True, check=True
    )
    rss, accounted = (int(x) for x in proc.stdout.split())
    text = len(TOKEN) * STREAM_APPENDS
    return {
        "ops": ops,
        "reads": reads,
        "stream": {
            "appends": STREAM_APPENDS,
            "streams": STREAMS,
            "text_bytes": text,
            "rss_per_stream": rss / STREAMS,
            "accounted_per_stream": accounted / STREAMS,
            # What one snapshot per append (the design the notes warn of) holds.
            "snapshots_per_stream": sum(len(TOKEN) * i for i in range(1, STREAM_APPENDS + 1)),
        },
    }


def memory_stream():
    from socketio_history import HistoryStore  # noqa: PLC0415

    store = HistoryStore(max_total_bytes=2**62)
    rooms = [f"r{i}" for i in range(STREAMS)]
    for room in rooms:
        store.enable(room, max_entries=STREAM_APPENDS + 1)
        store.create_message(room, "answer", "", message_id="m")
    before = rss_bytes()
    for _ in range(STREAM_APPENDS):
        for room in rooms:
            store.append_message(room, "m", TOKEN)
    used = rss_bytes() - before
    assert all(len(store.get_message(r, "m")["data"]) == len(TOKEN) * STREAM_APPENDS for r in rooms)
    return f"{used} {store.total_bytes}"


def bench_memory():
    raw = 100 + statistics.mean(len(e) for e in MEM_EVENTS)
    out = {"entries": ENTRIES, "rooms": ROOMS, "raw_bytes_per_entry": raw}
    for which in ("ours", "reference"):
        proc = subprocess.run(
            [sys.executable, __file__, "--memory", which],
            capture_output=True,
            text=True,
            check=True,
        )
        out[which] = int(proc.stdout.strip()) / ENTRIES
    return out


def main():
    if sys.argv[1:2] in (["--nodes"], ["--sessions"]):
        print(json.dumps(nodes_bench() if sys.argv[1] == "--nodes" else sessions_bench()))
        os._exit(0)  # the nodes' reader threads block in Redis reads
    if sys.argv[1:2] == ["--memory"]:
        which = {"ours": memory_ours, "reference": memory_reference, "stream": memory_stream}
        print(which[sys.argv[2]]())
        return
    results = {"python": sys.version.split()[0], "quick": QUICK}
    results["versions"] = {
        "python-socketio": __import__("importlib.metadata").metadata.version("python-socketio"),
        "socketio-history": socketio_history.__version__,
    }
    print("emit ...", flush=True)
    results["emit"] = bench_emit()
    print("fetch ...", flush=True)
    sio, ref = filled()
    results["fetch"] = bench_fetch(sio, ref)
    print("replay ...", flush=True)
    results["replay"] = bench_replay(sio, ref)
    print("redis ...", flush=True)
    results["redis"] = bench_redis(sio, ref)
    print("recovery ...", flush=True)
    results["recovery"] = bench_recovery()
    print("memory ...", flush=True)
    results["memory"] = bench_memory()
    print("messages ...", flush=True)
    results["messages"] = bench_messages()
    print("nodes ...", flush=True)
    results["nodes"] = bench_nodes()
    print("scale ...", flush=True)
    results["scale"] = bench_scale()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Several nodes behind a real redis-server: every node that has history for
a room holds the same entries, each emit once, in order — whichever node (or
write-only emitter) emitted it, and with no client connected."""

import time

import pytest
import socketio
from cluster import wait_subscribed, wait_until
from realserver import Inbox


def run_scenario(nodes, writer, ns_room_emits):
    """Emit from each source in turn; after each, wait until every node has
    it, so the expected order is well defined. Returns the expected
    histories per (namespace, room)."""
    expected = {}
    for source, event, data, to, namespace in ns_room_emits:
        if source == "writer":
            writer.emit(event, data, room=to, namespace=namespace)
        else:
            nodes[source].emit(event, data, to, namespace)
        rooms = [to] if isinstance(to, str) else list(dict.fromkeys(to))
        for room in rooms:
            entries = expected.setdefault((namespace, room), [])
            entries.append((event, data, len(entries) + 1))
        for room in rooms:
            want = len(expected[(namespace, room)])
            wait_until(
                lambda room=room, want=want, namespace=namespace: all(
                    len(n.history(room, namespace)) >= want for n in nodes
                ),
                f"{event} in {namespace}{room} on every node",
            )
    return expected


EMITS = [
    (0, "chat", "from node 0", "a", "/"),
    (1, "chat", ("two", "args", b"\x00\xff"), ["a", "b"], "/"),
    (2, "blob", {"file": b"\x01\x02", "parts": [b"x"]}, "a", "/chat"),
    ("writer", "news", [1, {"k": None}], "b", "/"),
    (0, "chat", {"nested": ("t", 1)}, "b", "/"),
    ("writer", "bin", b"\xde\xad", "a", "/"),
]


def test_redis_nodes_and_a_write_only_emitter_share_one_history(redis_url, nodes_factory):
    nodes = nodes_factory(("redis", redis_url), ("redis", redis_url), ("async-redis", redis_url))
    writer = socketio.RedisManager(redis_url, write_only=True)
    wait_subscribed(nodes, lambda: writer.emit("probe", 0, room="probe"))
    expected = run_scenario(nodes, writer, EMITS)
    # Tuples through the queue arrive as several arguments; nested tuples as
    # lists, exactly like on the node that emitted them.
    expected[("/", "b")][2] = ("chat", {"nested": ["t", 1]}, 3)
    for i, node in enumerate(nodes):
        for (namespace, room), want in expected.items():
            assert node.history(room, namespace) == want, (i, namespace, room)


def test_kombu_nodes_over_redis_share_one_history(redis_url, nodes_factory):
    pytest.importorskip("kombu")
    url = redis_url.rsplit("/", 1)[0] + "/1"  # a database of their own
    nodes = nodes_factory(("kombu", url), ("kombu", url))
    writer = socketio.KombuManager(url, write_only=True)
    wait_subscribed(nodes, lambda: writer.emit("probe", 0, room="probe"))
    emits = [e for e in EMITS if e[0] in (0, 1, "writer")]
    expected = run_scenario(nodes, writer, emits)
    expected[("/", "b")][-1] = ("chat", {"nested": ["t", 1]}, len(expected[("/", "b")]))
    for node in nodes:
        for (namespace, room), want in expected.items():
            assert node.history(room, namespace) == want


@pytest.mark.parametrize("kind", ["redis", "async-redis"])
def test_an_ignore_queue_emit_is_recorded_on_its_node_only(redis_url, nodes_factory, kind):
    # The emit hook forwards ignore_queue to PubSubManager.emit as given.
    a, b = nodes_factory((kind, redis_url), (kind, redis_url))
    wait_subscribed([a, b], lambda: a.emit("probe", 0, "probe"))
    for text, local in [("here only", True), ("everywhere", False)]:
        assert a.call("call", "emit", ("chat", text), {"to": "a", "ignore_queue": local}) is None
    wait_until(lambda: len(b.history("a")) == 1, "the queued emit on node b")
    assert a.history("a") == [("chat", "here only", 1), ("chat", "everywhere", 2)]
    assert b.history("a") == [("chat", "everywhere", 1)]


def test_client_on_node_b_replays_what_node_a_emitted(redis_url, nodes_factory):
    a, b = nodes_factory(("redis", redis_url), ("redis", redis_url, True))
    wait_subscribed([a, b], lambda: a.emit("probe", 0, "probe"))
    a.emit("chat", "hello from A", "a")
    a.emit("chat", ("several", b"args"), "a")
    wait_until(lambda: len(b.history("a")) == 2, "node B to record node A's emits")

    inbox = Inbox()
    client = socketio.Client()
    inbox.attach(client)
    client.connect(f"http://127.0.0.1:{b.port}", transports=["polling"], wait_timeout=10)
    try:
        assert client.call("join", "a") == 2
        assert inbox.wait_for(2) == [
            ("chat", "hello from A"),
            ("chat", ("several", b"args")),
        ]
    finally:
        client.disconnect()


@pytest.mark.parametrize("sync, asyncio", [("redis", "async-redis"), ("streams", "async-streams")])
def test_messages_and_their_operations_reach_every_node_with_their_ids(
    redis_url, nodes_factory, sync, asyncio
):
    nodes = nodes_factory((sync, redis_url), (sync, redis_url), (asyncio, redis_url))
    wait_subscribed(nodes, lambda: nodes[0].emit("probe", 0, "probe"))

    def call(i, method, *args, **kwargs):
        return nodes[i].call("call", method, args, kwargs)

    def state(i, mid):
        m = call(i, "get_message", "a", mid)
        if isinstance(m, tuple):
            return m
        return (m["event"], m["data"], m["version"], m["deleted"], m["final"], m["owner"])

    def everywhere(mid, want):
        wait_until(
            lambda: all(state(i, mid) == want for i in range(len(nodes))),
            f"{mid} to be {want} on every node",
        )

    created = call(0, "create_message", "a", "answer", "", message_id="ans", owner="bot")
    assert created["version"] == 1
    everywhere("ans", ("answer", "", 1, False, False, "bot"))
    call(2, "append_message", "a", "ans", "Hello")  # the asyncio node
    everywhere("ans", ("answer", "Hello", 2, False, False, "bot"))
    call(1, "append_message", "a", "ans", " world", final=True)
    everywhere("ans", ("answer", "Hello world", 3, False, True, "bot"))
    gen = call(1, "create_message", "a", "chat", {"t": "hi"})  # a generated id
    mid = gen["message_id"]
    everywhere(mid, ("chat", {"t": "hi"}, 1, False, False, None))
    call(2, "update_message", "a", mid, event="note", data={"t": "edited"})
    everywhere(mid, ("note", {"t": "edited"}, 2, False, False, None))
    call(0, "delete_message", "a", mid)
    everywhere(mid, ("note", None, 3, True, False, None))
    # A refused operation reaches no node.
    assert call(0, "append_message", "a", "ans", "late") == ("error", "InvalidMessageError")
    latest = [call(i, "get_history", "a", view="latest") for i in range(len(nodes))]
    shape = [[(e["message_id"], e["event"], e["data"]) for e in v] for v in latest]
    assert (
        shape[0]
        == shape[1]
        == shape[2]
        == [
            ("ans", "answer", "Hello world"),
            (mid, "note", None),
        ]
    )
    logs = [call(i, "get_history", "a") for i in range(len(nodes))]
    ops = [[(e["message_id"], e["action"], e["version"]) for e in log] for log in logs]
    assert ops[0] == ops[1] == ops[2]
    assert all("edited" not in repr(log[:-1]) for log in logs), "the delete redacted every node"
    if sync == "streams":
        # One order for every node: the same entries, seqs and versions (an
        # operation's timestamp is its node's clock when it applied it).
        same = [[{k: v for k, v in e.items() if k != "timestamp"} for e in log] for log in logs]
        assert same[0] == same[1] == same[2]
        assert [e["seq"] for e in logs[0]] == list(range(1, len(logs[0]) + 1))


def test_a_failed_listener_start_changes_nothing_and_is_tried_again(redis_url):
    manager = socketio.RedisManager(redis_url)
    sio = socketio.Server(client_manager=manager)
    start = manager.initialize
    attempts = []

    def flaky_start():  # the broker is not reachable yet, the first time
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("broker not reachable yet")
        start()

    manager.initialize = flaky_start
    with pytest.raises(ConnectionError, match="not reachable"):
        sio.enable_history("a")
    assert sio.manager_initialized is False, "python-socketio would try again"
    assert sio.get_history_stats("a")["enabled"] is False, "nothing changed"

    sio.enable_history("a")
    assert sio.manager_initialized is True
    assert len(attempts) == 2
    sio.enable_history("a", max_entries=10)
    assert len(attempts) == 2, "started once"

    writer = socketio.RedisManager(redis_url, write_only=True)
    deadline = time.monotonic() + 15
    while not sio.get_history("a") and time.monotonic() < deadline:
        writer.emit("probe", "from another node", room="a")
        time.sleep(0.1)
    assert sio.get_history("a")[0]["data"] == "from another node"


def test_recovery_replays_what_other_nodes_and_emitters_sent(redis_url):
    """With a message queue, what a client missed from other nodes and
    write-only emitters is buffered on its node like local emits (one offset
    each), and the client recovers there."""
    from jsclient import JsClient  # noqa: PLC0415
    from realserver import running  # noqa: PLC0415

    sio = socketio.Server(async_mode="threading", client_manager=socketio.RedisManager(redis_url))

    @sio.on("join")
    def join(sid, room):
        sio.enter_room(sid, room)
        return "joined"

    sio.enable_connection_state_recovery()
    sio.enable_history("lobby")  # starts this node's queue listener
    writer = socketio.RedisManager(redis_url, write_only=True)
    deadline = time.monotonic() + 15
    while not sio.get_history("lobby") and time.monotonic() < deadline:
        writer.emit("probe", 0, room="lobby")
        time.sleep(0.1)
    assert sio.get_history("lobby"), "the node never heard the queue"
    with running(sio) as srv, JsClient() as c:
        first = c.connect(srv.url, delay=800)
        c.emit_with_ack("join", "lobby")
        start = c.drop()
        writer.emit("chat", "from an emitter", room="lobby")
        writer.emit("chat", "to another room", room="elsewhere")
        sio.emit("chat", "from this node", to="lobby")
        back = c.wait_connect(start)
        assert back["recovered"] is True and back["id"] == first["id"]
        got = c.events(start)
        assert sorted(args[0] for _, args in got) == ["from an emitter", "from this node"]
        seqs = [int(args[-1].rsplit("-", 1)[1]) for _, args in got]
        assert seqs == sorted(set(seqs)), "one offset each, in order"

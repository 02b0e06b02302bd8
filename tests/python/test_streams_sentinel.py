"""The streams managers behind Redis Sentinel (``redis+sentinel://``, the
URL python-socketio's ``RedisManager`` takes), against real processes: a
redis-server, its replica and a Sentinel watching them. History stays one
and ordered through Sentinel, and when the master is killed Sentinel
promotes the replica and every node carries on there: what reached the
replica is kept, with the same seqs and epoch, and what is emitted after
lands on every node; a replica that lagged begins a new epoch
(docs/STREAMS.md)."""

import signal
import threading

import pytest
import redis
from cluster import RedisServer, Sentinel, Switch, wait_until
from socketio_history import RedisStreamsManager
from test_streams import a_new_lifetime_on_every_node, full_history, stream_rooms


@pytest.fixture
def sentinel(tmp_path):
    """A master, its replica in sync and a Sentinel that knows both;
    stopped at the end (the master may already be dead)."""
    (tmp_path / "master").mkdir()
    (tmp_path / "replica").mkdir()
    master = RedisServer(tmp_path / "master")
    with redis.Redis(port=master.port) as r:  # no 5 s wait for more replicas
        r.config_set("repl-diskless-sync-delay", 0)
    replica = RedisServer(tmp_path / "replica", replica_of=master.port)
    with redis.Redis(port=replica.port) as r:
        wait_until(
            lambda: r.info("replication")["master_link_status"] == "up",
            "the replica in sync",
            timeout=30,
        )
    watcher = Sentinel(tmp_path, master.port)
    wait_until(
        lambda: watcher.call("SENTINEL", "REPLICAS", watcher.name), "Sentinel to see the replica"
    )
    try:
        yield master, replica, watcher
    finally:
        watcher.stop()
        replica.stop()
        if master.proc.poll() is None:
            master.stop()


def replicate(master):
    """Until what the master holds is on its replica too (so a kill of the
    master loses nothing this test counts on)."""
    with redis.Redis(port=master.port) as r:
        assert r.execute_command("WAIT", 1, 15_000) == 1


def promoted(replica, watcher):
    """Until Sentinel names the replica as the master (after the master's
    death)."""
    wait_until(lambda: watcher.master_port() == replica.port, "the failover", timeout=30)


def fail_over(master, replica, watcher):
    """Kill the master (SIGKILL) and wait for Sentinel to promote the
    replica."""
    master.kill()
    promoted(replica, watcher)


def seqs_and_data(node, room):
    return [(e["seq"], e["data"]) for e in full_history(node, room)]


def test_nodes_and_an_emitter_through_sentinel_hold_one_history(sentinel, nodes_factory):
    master, _, watcher = sentinel
    nodes = nodes_factory(("streams", watcher.url), ("async-streams", watcher.url))
    writer = RedisStreamsManager(watcher.url, write_only=True)
    for k in range(10):
        writer.emit("w", k, room="a")
        nodes[k % 2].emit("n", k, "a")
    assert writer.flush(10)
    kept = stream_rooms(master.url, "a")  # what the master's stream holds
    assert [seq for seq, _ in kept] == list(range(1, 21))
    for node in nodes:
        wait_until(lambda node=node: len(full_history(node, "a")) == 20, "20 entries")
        assert seqs_and_data(node, "a") == kept


def test_a_killed_master_fails_over_and_every_node_carries_on(sentinel, nodes_factory):
    master, replica, watcher = sentinel
    nodes = nodes_factory(("streams", watcher.url), ("async-streams", watcher.url))
    writer = RedisStreamsManager(watcher.url, write_only=True)
    for k in range(20):
        writer.emit("before", k, room="a")
    assert writer.flush(10)
    for node in nodes:
        wait_until(lambda node=node: len(full_history(node, "a")) == 20, "the first 20")
    epoch = nodes[0].page("a")["epoch"]
    replicate(master)
    fail_over(master, replica, watcher)

    # Emits wait in the writer's queue until the new master takes them.
    done = threading.Event()

    def traffic():
        for k in range(20):
            writer.emit("after", k, room="a")
            nodes[k % 2].emit("after-n", k, "a")
        done.set()

    t = threading.Thread(target=traffic)
    t.start()
    t.join(60)
    assert done.is_set(), "emits after the failover did not return"
    assert writer.flush(30)

    kept = stream_rooms(replica.url, "a")
    assert [seq for seq, _ in kept] == list(range(1, 61)), "a seq lost or repeated"
    for node in nodes:
        wait_until(
            lambda node=node: len(full_history(node, "a")) == 60, "every entry after", timeout=30
        )
        assert seqs_and_data(node, "a") == kept
        page = node.page("a", since_seq=20, epoch=epoch)
        assert page["gap"] is False and page["epoch"] == epoch
        assert len(page["entries"]) == 40


def test_a_failover_to_a_replica_that_lagged_begins_a_new_epoch(sentinel, nodes_factory):
    """The replica misses the newest entries (its link is cut while they
    are written, and the nodes read them), then the master dies: Sentinel
    promotes a replica whose stream, seqs and epoch are from before them.
    The nodes find the entries they read gone and begin a new epoch (once),
    so a cursor from before sees a gap and what comes next is recorded alike
    everywhere (docs/STREAMS.md, "A Redis that came back older")."""
    master, replica, watcher = sentinel
    nodes = nodes_factory(("streams", watcher.url), ("async-streams", watcher.url))
    for k in range(5):
        nodes[0].emit("chat", k, "a")
    replicate(master)
    replica.proc.send_signal(signal.SIGSTOP)  # it cannot take its link back...
    try:
        with redis.Redis(port=master.port) as r:
            r.execute_command("CLIENT", "KILL", "TYPE", "replica")  # ...once the master drops it
        for k in range(5, 8):
            nodes[1].emit("chat", k, "a")
        for node in nodes:
            wait_until(lambda node=node: len(full_history(node, "a")) == 8, "8 entries read")
        old = nodes[0].page("a")
        master.kill()
    finally:
        replica.proc.send_signal(signal.SIGCONT)
    promoted(replica, watcher)
    assert len(stream_rooms(replica.url, "a")) == 5, "the replica should have lagged"
    a_new_lifetime_on_every_node(nodes, replica.url, old)


def test_the_js_client_is_recovered_on_another_node_after_a_failover(sentinel, nodes_factory):
    """Its session, written to the master when it connected and joined,
    survives the master: after the failover it keeps getting events, and
    when it drops and lands on another node it is recovered there."""
    from jsclient import JsClient  # noqa: PLC0415

    master, replica, watcher = sentinel
    a, b = nodes_factory(
        ("streams", watcher.url, True, "--recovery"), ("streams", watcher.url, True, "--recovery")
    )
    writer = RedisStreamsManager(watcher.url, write_only=True)
    switch = Switch(a.port)
    try:
        with JsClient() as c:
            first = c.connect(switch.url, delay=800)
            assert c.emit_with_ack("join_only", "a") == ["joined"]
            replicate(master)
            fail_over(master, replica, watcher)
            a.emit("chat", "live after the failover", "a")
            c.wait_for(
                lambda rep: rep["ev"] == "event" and rep["args"][0] == "live after the failover"
            )

            switch.backend = b.port
            start = c.drop()
            writer.emit("chat", "from an emitter", room="a")
            assert writer.flush(30)  # in the stream before node B's
            b.emit("chat", "from node b", "a")
            back = c.wait_connect(start)
            assert back["recovered"] is True and back["id"] == first["id"]
            assert [args[0] for _, args in c.events(start)] == ["from an emitter", "from node b"]
    finally:
        switch.close()

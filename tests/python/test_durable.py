"""Durable stores from Python (docs/CONTRACT.md, "Durable stores"):
``HistoryStore(path=...)`` keeps what it holds across processes, through a
clean stop and a SIGKILL alike, with the same seqs and epochs, so cursors
from before a restart resume without a gap."""

import os
import signal
import subprocess
import sys

import pytest
from cluster import Node, free_port
from jsclient import JsClient
from socketio_history import HistoryStore


def stop_node(node, how):
    """End a node process: a clean quit, SIGTERM or SIGKILL."""
    if how == "quit":
        node.close()
        return
    os.kill(node.proc.pid, getattr(signal, how))
    node.proc.wait(10)
    node.proc.stdin.close()
    node.proc.stdout.close()


def test_a_store_reopened_on_its_path_has_everything_back(tmp_path):
    path = tmp_path / "history"
    store = HistoryStore(path=path, sync="always")
    assert store.path == str(path)
    assert store.open_report == {"records": 0, "dropped": []}
    store.enable("r", max_entries=10)
    for i in range(15):
        store.record("r", "chat", {"i": i, "blob": b"\x00\xff", "t": (1, "two")})
    store.create_message("r", "answer", "The", message_id="m")
    store.append_message("r", "m", " end", final=True)
    before = store.fetch("r")
    stats = store.stats("r")
    store.close()
    store.record("r", "chat", "memory only")  # still served, not written
    again = HistoryStore(path=str(path))
    assert again.fetch("r") == before
    assert again.stats("r")["epoch"] == stats["epoch"]
    assert again.stats("r")["last_seq"] == stats["last_seq"]
    assert again.get_message("r", "m")["data"] == "The end"
    assert again.open_report["records"] > 0


def test_bad_durable_arguments_are_refused(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OSError, match="not a directory"):
        HistoryStore(path=a_file)
    with pytest.raises(OSError, match="cannot create"):
        HistoryStore(path=a_file / "sub")
    with pytest.raises(TypeError, match="path"):
        HistoryStore(path=b"/tmp/bytes")
    with pytest.raises(ValueError, match="sync must be"):
        HistoryStore(path=tmp_path / "d", sync="sometimes")
    with pytest.raises(TypeError, match="sync"):
        HistoryStore(path=tmp_path / "d", sync=1)
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="sync_interval"):
            HistoryStore(path=tmp_path / "d", sync_interval=bad)
    first = HistoryStore(path=tmp_path / "d")
    with pytest.raises(OSError, match="already open in another process"):
        HistoryStore(path=tmp_path / "d")
    first.close()
    HistoryStore(path=tmp_path / "d").close()


@pytest.mark.parametrize("kind", ["durable", "async-durable"])
@pytest.mark.parametrize("stop", ["quit", "SIGTERM", "SIGKILL"])
def test_a_server_restarted_on_its_path_keeps_history_seq_and_epoch(tmp_path, kind, stop):
    path = str(tmp_path / "history")
    node = Node(kind, path)
    for i in range(30):
        node.emit("chat", {"i": i}, "a")
    node.emit("chat", "in /chat", "a", "/chat")
    history = node.history("a")
    chat = node.history("a", "/chat")
    page = node.page("a", limit=5)
    stop_node(node, stop)
    node = Node(kind, path)
    try:
        assert node.history("a") == history
        assert node.history("a", "/chat") == chat
        # The cursor from before the restart: same epoch, no gap.
        resumed = node.page("a", since_seq=page["last_seq"] - 2, epoch=page["epoch"])
        assert resumed["gap"] is False and resumed["epoch"] == page["epoch"]
        assert [e["data"]["i"] for e in resumed["entries"]] == [28, 29]
        node.emit("chat", {"i": 30}, "a")
        assert node.history("a")[-1] == ("chat", {"i": 30}, 31)
    finally:
        node.close()


@pytest.mark.parametrize("kind", ["durable", "async-durable"])
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_the_js_client_of_a_killed_server_comes_back_recovered(tmp_path, kind, stop):
    """The official client is connected when its server dies; a new process
    on the same port and path restores its session: same id, its rooms,
    and exactly the events emitted meanwhile, once, in order."""
    path, port = str(tmp_path / "history"), free_port()
    flags = ("--recovery", f"--port={port}")
    node = Node(kind, path, True, *flags)
    url = f"http://127.0.0.1:{port}"
    with JsClient() as c:
        try:
            first = c.connect(url, delay=100)
            assert first["recovered"] is False and first["pid"]
            c.emit_with_ack("join", "a")
            node.emit("chat", "before", "a")
            c.wait_for(lambda r: r["ev"] == "event", "the first event")
            c.hold()
            start = c.mark()
            stop_node(node, stop)
            c.wait_for(lambda r: r["ev"] == "disconnect", "the drop", start=start)
            node = Node(kind, path, True, *flags)
            node.emit("chat", "missed 1", "a")
            node.emit("chat", "elsewhere", "b")
            node.emit("chat", "missed 2", "a")
            back = c.wait_connect(start)
            assert back["recovered"] is True
            assert back["id"] == first["id"] and back["pid"] == first["pid"]
            events = [(name, args[0]) for name, args in c.events(start)]
            assert events == [("chat", "missed 1"), ("chat", "missed 2")]
            # Its rooms came back: live events reach it, once.
            mark = c.mark()
            node.emit("chat", "live", "a")
            live = c.wait_for(lambda r: r["ev"] == "event", "the live event", start=mark)
            assert live["args"][0] == "live"
        finally:
            node.close()


def test_a_full_disk_is_logged_and_the_server_goes_on_from_memory(tmp_path):
    """Journal writes that fail (here: past the process's file size limit,
    as on a full disk) never fail an emit: history goes on in memory, the
    failure is counted, kept and logged."""
    code = f"""
import logging, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
logging.basicConfig(stream=sys.stdout, level=logging.ERROR, format="LOG %(message)s")
import socketio, socketio_history
from socketio_history import _state
_state.JOURNAL_CHECK_SECONDS = 0.05
sio = socketio.Server()
sio.history = socketio_history.HistoryStore(path={str(tmp_path / "h")!r})
sio.enable_history("r", max_entries=10_000)
for i in range(2_000):
    sio.emit("e", "x" * 100 + str(i), to="r")
import time
time.sleep(0.5)
h = sio.history
print("held", len(sio.get_history("r")), "failures", h.journal_failures > 0)
print("error", h.journal_error)
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "SOCKETIO_HISTORY_AUTOPATCH": "0"},
    ).stdout
    assert "held 2000 failures True" in out, out
    assert "error write: File too large" in out, out
    assert "journal failure(s), serving from memory; last: write: File too large" in out, out


def served(tmp_path, kind):
    path, port = str(tmp_path / "history"), free_port()
    flags = ("--recovery", f"--port={port}")
    return (lambda: Node(kind, path, True, *flags)), f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("kind", ["durable", "async-durable"])
def test_close_for_restart_has_clients_reconnect_at_once_recovered(tmp_path, kind):
    start_node, url = served(tmp_path, kind)
    node = start_node()
    try:
        with JsClient() as c:
            first = c.connect(url, delay=100)
            c.emit_with_ack("join", "a")
            start = c.mark()
            assert node.call("call", "close_for_restart", [], {}) == 1
            # Its transport closed: it reconnects by itself, recovered.
            back = c.wait_connect(start)
            assert back["recovered"] is True and back["id"] == first["id"]
            assert c.events(start) == []
    finally:
        node.close()


@pytest.mark.parametrize("kind", ["durable", "async-durable"])
def test_close_for_restart_hands_clients_to_the_next_process(tmp_path, kind):
    """Two clients in different rooms: each comes back to the next process
    recovered, in its own rooms (their kept sessions are not rewritten as
    python-socketio takes them out of their rooms on the way out)."""
    start_node, url = served(tmp_path, kind)
    node = start_node()
    with JsClient() as c, JsClient() as d:
        try:
            first = {"a": c.connect(url, delay=100), "b": d.connect(url, delay=100)}
            c.emit_with_ack("join", "a")
            d.emit_with_ack("join", "b")
            starts = {}
            for client in (c, d):
                client.hold()
                starts[client] = client.mark()
            assert node.call("call", "close_for_restart", [], {}) == 2
            for client in (c, d):
                client.wait_for(lambda r: r["ev"] == "disconnect", "the drop", start=starts[client])
            node.close()  # the old process exits; the next one takes over
            node = start_node()
            node.emit("chat", "missed by a", "a")
            node.emit("chat", "missed by b", "b")
            for client, room in ((c, "a"), (d, "b")):
                back = client.wait_connect(starts[client])
                assert back["recovered"] is True and back["id"] == first[room]["id"]
                got = [(n, a[0]) for n, a in client.events(starts[client])]
                assert got == [("chat", f"missed by {room}")]
        finally:
            node.close()

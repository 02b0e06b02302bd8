"""Durable stores from Python (docs/CONTRACT.md, "Durable stores"):
``HistoryStore(path=...)`` keeps what it holds across processes, through a
clean stop and a SIGKILL alike, with the same seqs and epochs, so cursors
from before a restart resume without a gap."""

import os
import signal

import pytest
from cluster import Node
from socketio_history import HistoryStore


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
    if stop == "quit":
        node.close()
    else:
        os.kill(node.proc.pid, getattr(signal, stop))
        node.proc.wait(10)
        node.proc.stdin.close()
        node.proc.stdout.close()
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

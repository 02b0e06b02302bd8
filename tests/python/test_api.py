"""docs/CONTRACT.md (the core's rules and "python-socketio") through the
Python API, on Server and AsyncServer."""

import importlib
import inspect
import math
import time

import pytest
import socketio
import socketio_history
from bad_input import bad_enable, bad_read
from conftest import HISTORY_METHODS, MESSAGE_METHODS
from socketio_history import HistoryStore

METHODS = HISTORY_METHODS + MESSAGE_METHODS


def seqs(entries):
    return [e["seq"] for e in entries]


def datas(entries):
    return [e["data"] for e in entries]


def emit_n(server, n, room="r", event="chat", **kw):
    for i in range(n):
        server.emit(event, f"m{i}", to=room, **kw)


# ---- the methods exist, with the contract's signatures ----


@pytest.mark.parametrize("cls", [socketio.Server, socketio.AsyncServer])
def test_servers_gain_every_method_and_a_history_store(cls):
    sio = cls()
    for name in METHODS:
        method = getattr(cls, name)
        assert inspect.iscoroutinefunction(method) == (cls is socketio.AsyncServer), name
        assert method.__doc__, name
    assert isinstance(sio.history, HistoryStore)
    assert sio.history is sio.history


@pytest.mark.parametrize("cls", [socketio.Server, socketio.AsyncServer])
def test_room_and_limit_are_explicit_named_parameters(cls):
    for name in METHODS:
        params = inspect.signature(getattr(cls, name)).parameters
        assert "room" in params, name
        assert not any(p.kind is p.VAR_KEYWORD for p in params.values()), name
    params = inspect.signature(cls.get_history).parameters
    assert list(params)[:4] == ["self", "room", "limit", "namespace"]


def test_async_twins_have_the_sync_signatures_and_docs():
    for name in METHODS:
        sync, twin = getattr(socketio.Server, name), getattr(socketio.AsyncServer, name)
        assert inspect.signature(twin) == inspect.signature(sync), name
        assert twin.__name__ == name
        assert twin.__doc__.startswith(sync.__doc__), name
        assert "coroutine" in twin.__doc__


def test_the_default_max_entries_is_the_cores():
    default = inspect.signature(socketio.Server.enable_history).parameters["max_entries"].default
    assert default == socketio_history.DEFAULT_MAX_ENTRIES == 100
    store = HistoryStore()
    store.enable("r")
    assert store.stats("r")["max_entries"] == default


def test_the_versions_limit_default_is_the_cores():
    for cls in (socketio.Server, socketio.AsyncServer):
        params = inspect.signature(cls.get_message_versions).parameters
        assert params["limit"].default == socketio_history.DEFAULT_VERSIONS_LIMIT == 100


def test_room_and_limit_work_by_keyword(server):
    server.enable_history(room="r")
    emit_n(server, 3)
    assert datas(server.get_history(room="r", limit=2)) == ["m1", "m2"]


def test_importing_twice_is_harmless(server):
    importlib.reload(socketio_history)
    socketio_history.install()
    server.enable_history("r")
    server.emit("e", "x", to="r")
    assert seqs(server.get_history("r")) == [1], "recorded once, not once per import"


def test_each_server_has_its_own_history():
    a, b = socketio.Server(), socketio.Server()
    a.enable_history("r")
    b.emit("e", 1, to="r")
    a.emit("e", 2, to="r")
    assert datas(a.get_history("r")) == [2]
    assert not b.get_history_stats("r")["enabled"]


# ---- opt-in, enable, disable ----


def test_disabled_room_records_nothing_and_reads_empty(server):
    server.emit("e", "x", to="r")
    assert server.get_history("r") == []
    stats = server.get_history_stats("r")
    assert stats["enabled"] is False
    assert stats["entries_count"] == 0
    assert stats["last_seq"] == 0
    assert stats["epoch"] is None
    server.enable_history("r")
    assert server.get_history("r") == []


def test_enable_defaults(server):
    server.enable_history("r")
    stats = server.get_history_stats("r")
    assert stats["enabled"] is True
    assert stats["max_entries"] == 100
    assert stats["retention_seconds"] is None
    assert stats["max_bytes"] is None
    assert stats["payload_size_cap"] is None
    emit_n(server, 120)
    assert server.get_history_stats("r")["entries_count"] == 100


def test_reenabling_reconfigures_in_place(server):
    server.enable_history("r")
    emit_n(server, 4)
    epoch = server.get_history_stats("r")["epoch"]
    server.enable_history("r", max_entries=2)
    stats = server.get_history_stats("r")
    assert (stats["entries_count"], stats["evictions_size"], stats["epoch"]) == (2, 2, epoch)
    server.emit("e", "next", to="r")
    assert seqs(server.get_history("r")) == [4, 5]


def test_smaller_max_bytes_evicts_at_once(server):
    server.enable_history("r")
    for t in ["aaa", "bbb", "ccc"]:
        server.emit("e", t, to="r")
    server.enable_history("r", max_bytes=6)
    stats = server.get_history_stats("r")
    assert (stats["entries_count"], stats["bytes"], stats["evictions_bytes"]) == (2, 6, 1)


def test_enabled_false_is_disable(server):
    server.enable_history("r")
    emit_n(server, 2)
    server.enable_history("r", enabled=False)
    assert server.get_history_stats("r")["enabled"] is False
    with pytest.raises(TypeError, match="enabled"):
        server.enable_history("r", enabled=1)


def test_disable_then_enable_starts_a_fresh_lifetime(server):
    server.enable_history("r", max_entries=1)
    emit_n(server, 3)
    before = server.get_history_stats("r")
    server.disable_history("r")
    assert server.get_history("r") == []
    server.enable_history("r")
    after = server.get_history_stats("r")
    assert after["entries_count"] == after["evictions_size"] == after["last_seq"] == 0
    assert after["epoch"] != before["epoch"]
    server.emit("e", "x", to="r")
    assert seqs(server.get_history("r")) == [1]


def test_disabling_an_unknown_room_is_harmless(server):
    server.disable_history("never")
    assert server.clear_history("never") == 0


# ---- entries ----


def test_entries_carry_event_data_timestamp_seq_truncated(server):
    server.enable_history("r")
    before = time.time()
    server.emit("chat", {"text": "hi"}, to="r")
    after = time.time()
    [e] = server.get_history("r")
    assert set(e) == {
        "event",
        "data",
        "timestamp",
        "seq",
        "truncated",
        # CONTRACT.md, "Mutable messages": every entry says what it records; a plain emit is an
        # immutable "create" that belongs to no message.
        "action",
        "message_id",
        "version",
        "redacted",
    }
    assert (e["action"], e["message_id"], e["version"], e["redacted"]) == (
        "create",
        None,
        None,
        False,
    )
    assert e["event"] == "chat"
    assert e["data"] == {"text": "hi"}
    assert before - 0.2 <= e["timestamp"] <= after + 0.2
    assert isinstance(e["timestamp"], float)
    assert e["seq"] == 1
    assert e["truncated"] is False


def test_seq_is_gap_free_across_evictions(server):
    server.enable_history("r", max_entries=3)
    emit_n(server, 10)
    assert seqs(server.get_history("r")) == [8, 9, 10]


def test_namespaces_are_separate_and_none_means_root(server):
    server.enable_history("r", namespace="/chat")
    server.enable_history("r", namespace=None)
    server.emit("e", "root", to="r")
    server.emit("e", "chat", to="r", namespace="/chat")
    assert datas(server.get_history("r")) == ["root"]
    assert datas(server.get_history("r", namespace="/chat")) == ["chat"]
    assert sorted(server.history.rooms()) == [("/", "r"), ("/chat", "r")]


# ---- retention ----


def test_retention_expires_on_the_monotonic_clock(clocked, clock):
    clocked.enable_history("r", retention_seconds=10)
    clocked.emit("e", "old", to="r")
    clock.advance(6)
    clocked.emit("e", "new", to="r")
    clock.set_wall(0.0)  # a wall-clock jump changes nothing
    assert datas(clocked.get_history("r")) == ["old", "new"]
    clock.advance(4)
    assert datas(clocked.get_history("r")) == ["new"]
    assert clocked.get_history_stats("r")["evictions_time"] == 1


def test_idle_room_never_serves_expired_entries(clocked, clock):
    clocked.enable_history("r", retention_seconds=0.5)
    clocked.emit("e", "x", to="r")
    clock.advance(1)
    assert clocked.get_history_stats("r")["entries_count"] == 0
    clocked.emit("e", "y", to="r")
    clock.advance(1)
    assert clocked.get_history_page("r")["entries"] == []


def test_zero_retention_means_none(clocked, clock):
    clocked.enable_history("r", retention_seconds=0)
    clocked.emit("e", "x", to="r")
    clock.advance(10**6)
    assert len(clocked.get_history("r")) == 1
    assert clocked.get_history_stats("r")["retention_seconds"] is None


def test_new_retention_applies_to_held_entries(clocked, clock):
    clocked.enable_history("r")
    clocked.emit("e", "x", to="r")
    clock.advance(5)
    clocked.enable_history("r", retention_seconds=2)
    assert clocked.get_history("r") == []


def test_byte_bound_and_oversize_rejection(server):
    server.enable_history("r", max_bytes=10)
    for t in ["aaaa", "bbbb", "cccc"]:
        server.emit("e", t, to="r")
    assert datas(server.get_history("r")) == ["bbbb", "cccc"]
    server.emit("e", "x" * 11, to="r")
    stats = server.get_history_stats("r")
    assert (stats["evictions_bytes"], stats["rejected_oversize"], stats["last_seq"]) == (1, 1, 3)


def test_store_wide_budget_evicts_oldest_of_the_whole_store(server):
    server.sio.history = HistoryStore(max_total_bytes=2000)
    for room in ["a", "b"]:
        server.enable_history(room)
    for i in range(40):
        server.emit("e", "x" * 50, to="a" if i % 2 else "b")
    assert server.history.total_bytes <= 2000
    a, b = server.get_history_stats("a"), server.get_history_stats("b")
    assert a["evictions_bytes"] > 0 and b["evictions_bytes"] > 0
    assert a["last_seq"] == b["last_seq"] == 20


def test_history_setter_takes_only_a_store(server):
    with pytest.raises(TypeError, match="HistoryStore"):
        server.sio.history = {}


# ---- reads ----


@pytest.fixture
def six(server):
    server.enable_history("r")
    for event, data in [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5), ("a", 6)]:
        server.emit(event, data, to="r")
    return server


def test_cursors_are_exclusive(six):
    assert seqs(six.get_history("r", since_seq=2)) == [3, 4, 5, 6]
    assert seqs(six.get_history("r", before_seq=3)) == [1, 2]
    assert seqs(six.get_history("r", since_seq=2, before_seq=5)) == [3, 4]


def test_event_filters_take_a_str_or_any_iterable(six):
    assert seqs(six.get_history("r", include_events="a")) == [1, 3, 6]
    assert seqs(six.get_history("r", include_events={"a", "c"})) == [1, 3, 4, 6]
    assert seqs(six.get_history("r", include_events=(e for e in ["c"]))) == [4]
    assert seqs(six.get_history("r", exclude_events=["a", "b"])) == [4]
    both = six.get_history("r", include_events=["a", "b"], exclude_events="a")
    assert seqs(both) == [2, 5]


def test_empty_include_selects_nothing_and_empty_exclude_nothing_excluded(six):
    assert six.get_history("r", include_events=[]) == []
    assert len(six.get_history("r", exclude_events=[])) == 6


def test_limit_keeps_the_newest_oldest_first(six):
    assert seqs(six.get_history("r", 2)) == [5, 6]
    assert six.get_history("r", limit=0) == []
    assert len(six.get_history("r", limit=None)) == 6
    assert seqs(six.get_history("r", limit=1, include_events="b", before_seq=5)) == [2]


def test_fetch_time_cap_overrides_enable_time_cap(server):
    server.enable_history("r", payload_size_cap=3)
    server.emit("e", "abcdef", to="r")
    assert datas(server.get_history("r")) == ["abc"]
    assert datas(server.get_history("r", payload_size_cap=5)) == ["abcde"]
    assert datas(server.get_history("r", payload_size_cap=1)) == ["a"]
    assert datas(server.get_history("r", payload_size_cap=100)) == ["abcdef"]


def test_truncation_per_payload_kind(server):
    server.enable_history("r")
    server.emit("e", "aé€", to="r")
    server.emit("e", b"\x00\x01\x02\x03", to="r")
    server.emit("e", {"k": [1, 2]}, to="r")
    server.emit("e", "ok", to="r")
    cut = server.get_history("r", payload_size_cap=4)
    assert datas(cut) == ["aé", b"\x00\x01\x02\x03", '{"k"', "ok"]
    assert [e["truncated"] for e in cut] == [True, False, True, False]
    cut = server.get_history("r", payload_size_cap=2)
    assert cut[1]["data"] == b"\x00\x01"
    assert datas(server.get_history("r"))[2] == {"k": [1, 2]}, "stored whole"


def test_stats_have_every_key(server):
    server.enable_history(
        "r", max_entries=5, retention_seconds=30, payload_size_cap=9, max_bytes=50
    )
    server.emit("e", "abc", to="r")
    stats = server.get_history_stats("r")
    for key in [
        "entries_count",
        "evictions_size",
        "evictions_time",
        "evictions_bytes",
        "rejected_oversize",
        "record_errors",
        "bytes",
        "recorded_total",
        "first_seq",
        "last_seq",
        "epoch",
        "enabled",
    ]:
        assert key in stats, key
    assert stats["bytes"] == 3
    assert (stats["first_seq"], stats["last_seq"], stats["recorded_total"]) == (1, 1, 1)
    assert (stats["max_entries"], stats["retention_seconds"]) == (5, 30.0)
    assert (stats["payload_size_cap"], stats["max_bytes"]) == (9, 50)
    assert isinstance(stats["epoch"], str) and len(stats["epoch"]) == 12


def test_page_has_more_and_gap(server):
    server.enable_history("r", max_entries=3)
    emit_n(server, 6)
    page = server.get_history_page("r", limit=2)
    assert set(page) == {"entries", "epoch", "first_seq", "last_seq", "has_more", "gap"}
    assert seqs(page["entries"]) == [5, 6]
    assert (page["first_seq"], page["last_seq"], page["has_more"], page["gap"]) == (
        4,
        6,
        True,
        False,
    )
    epoch = page["epoch"]
    assert server.get_history_page("r", since_seq=2)["gap"] is True
    resumed = server.get_history_page("r", since_seq=3, epoch=epoch)
    assert (seqs(resumed["entries"]), resumed["gap"]) == ([4, 5, 6], False)
    assert server.get_history_page("r", since_seq=3, epoch="other")["gap"] is True
    assert server.get_history_page("r", since_seq=7)["gap"] is True


def test_clear_drops_entries_and_keeps_the_lifetime(server):
    server.enable_history("r")
    emit_n(server, 3)
    epoch = server.get_history_stats("r")["epoch"]
    assert server.clear_history("r") == 3
    stats = server.get_history_stats("r")
    assert (stats["enabled"], stats["entries_count"], stats["epoch"]) == (True, 0, epoch)
    server.emit("e", "x", to="r")
    assert seqs(server.get_history("r")) == [4]


# ---- validation: a clear error naming the parameter, and nothing changes ----


@pytest.mark.parametrize(("kwargs", "error", "param"), bad_enable())
def test_bad_enable_arguments_fail_clearly_and_change_nothing(server, kwargs, error, param):
    server.enable_history("r", max_entries=7)
    server.emit("e", "x", to="r")
    before = server.get_history_stats("r")
    call = {"room": "r", **kwargs}
    with pytest.raises(error, match=param):
        server.enable_history(**call)
    assert server.get_history_stats("r") == before


@pytest.mark.parametrize(("kwargs", "error", "param"), bad_read())
def test_bad_read_arguments_fail_clearly(server, kwargs, error, param):
    server.enable_history("r")
    call = {"room": "r", **kwargs}
    with pytest.raises(error, match=param):
        server.get_history(**call)
    with pytest.raises(error, match=param):
        server.get_history_page(**call)


def test_bad_epoch_and_sid(server):
    server.enable_history("r")
    with pytest.raises(TypeError, match="epoch"):
        server.get_history_page("r", epoch=5)
    with pytest.raises(TypeError, match="sid"):
        server.replay_history(None, "r")
    for method in ["get_history_stats", "clear_history", "disable_history"]:
        with pytest.raises(TypeError, match="room"):
            getattr(server, method)(b"r")


def test_huge_ints_are_clamped_not_errors(server):
    server.enable_history("r", max_entries=10**30)
    emit_n(server, 3)
    assert len(server.get_history("r", limit=10**40, since_seq=0, before_seq=10**50)) == 3


# ---- the store on its own ----


def test_history_store_on_its_own():
    store = HistoryStore()
    store.enable("room", max_entries=2)
    assert store.is_enabled("room")
    assert store.record("room", "e", "a") == 1
    assert store.record("room", "e", ("x", b"y")) == 2
    assert store.record("room", "e", "c") == 3
    assert store.record("other", "e", "x") is None
    assert datas(store.fetch("room")) == [("x", b"y"), "c"]
    assert store.page("room", since_seq=0)["gap"] is True
    assert store.stats("room")["evictions_size"] == 1
    assert store.rooms() == [("/", "room")]
    assert store.clear("room") == 2
    assert store.disable("room") is True
    assert store.rooms() == []
    with pytest.raises(ValueError, match="max_total_bytes"):
        HistoryStore(max_total_bytes=0)
    with pytest.raises(TypeError, match="clock"):
        HistoryStore(clock="now")
    with pytest.raises(TypeError):
        store.record("room", "e", object())
    assert "HistoryStore" in repr(store)


def test_a_store_on_the_coarse_clock_keeps_order_and_real_time():
    import time  # noqa: PLC0415

    from socketio_history import CoarseClock  # noqa: PLC0415

    store = HistoryStore(clock=CoarseClock())
    store.enable("r", max_entries=1000, retention_seconds=60)
    before = time.time()
    for i in range(500):
        store.record("r", "e", i)
    entries = store.fetch("r")
    assert [e["data"] for e in entries] == list(range(500))
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps)
    # Timestamps move in kernel ticks (a few ms), never far from real time.
    assert before - 0.1 <= stamps[0] <= stamps[-1] <= time.time() + 0.1
    assert store.fetch("r", since_time=stamps[-1])[-1]["data"] == 499
    assert repr(CoarseClock()) == "CoarseClock()"


def test_time_ranges_select_by_record_time(clocked, clock):
    clocked.enable_history("r")
    for i in range(4):
        clocked.emit("chat", f"m{i}", to="r")
        clock.advance(10)
    # Recorded at 1_000_000, 1_000_010, 1_000_020, 1_000_030.
    got = clocked.get_history("r", since_time=1_000_010, until_time=1_000_030.0)
    assert datas(got) == ["m1", "m2"]
    assert datas(clocked.get_history("r", since_time=1_000_030)) == ["m3"]
    assert clocked.get_history("r", until_time=1_000_000) == []
    page = clocked.get_history_page("r", since_time=1_000_005, limit=1)
    assert datas(page["entries"]) == ["m3"] and page["has_more"]
    assert datas(clocked.get_history("r", since_time=-math.inf)) == ["m0", "m1", "m2", "m3"]

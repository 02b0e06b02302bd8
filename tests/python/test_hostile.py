"""Hostile input through every public entry point: each gets the documented
error (TypeError for a wrong type, ValueError for a bad value), names the
parameter, leaves the store exactly as it was, and never crashes the
process. Emits python-socketio itself can send still go out."""

import pytest
import socketio_history
from bad_input import WRONG_TYPES, bad_enable, bad_read
from socketio_history import HistoryStore
from socketio_history._native import _Replayer


def snapshot(store):
    rooms = store.rooms()
    return (
        rooms,
        [store.stats(r, ns) for ns, r in rooms],
        [store.fetch(r, namespace=ns) for ns, r in rooms],
    )


@pytest.fixture
def store():
    s = HistoryStore(max_total_bytes=10_000)
    s.enable("r", max_entries=5, retention_seconds=60, max_bytes=500)
    s.record("r", "e", {"k": [1, b"x"]})
    return s


def unchanged(store, call, error, param):
    before = snapshot(store)
    with pytest.raises(error, match=param):
        call()
    assert snapshot(store) == before


@pytest.mark.parametrize("bad", WRONG_TYPES)
def test_room_of_the_wrong_type(store, bad):
    for call in [
        lambda: store.enable(bad),
        lambda: store.disable(bad),
        lambda: store.is_enabled(bad),
        lambda: store.record(bad, "e", 1),
        lambda: store.fetch(bad),
        lambda: store.page(bad),
        lambda: store.stats(bad),
        lambda: store.clear(bad),
        lambda: store.note_record_error(bad),
    ]:
        unchanged(store, call, TypeError, "room")


@pytest.mark.parametrize("bad", WRONG_TYPES)
def test_namespace_and_event_of_the_wrong_type(store, bad):
    unchanged(store, lambda: store.fetch("r", namespace=bad), TypeError, "namespace")
    unchanged(store, lambda: store.enable("r", namespace=bad), TypeError, "namespace")
    unchanged(store, lambda: store.record("r", bad, 1), TypeError, "event")


@pytest.mark.parametrize(("kwargs", "error", "param"), bad_enable())
def test_bad_enable_arguments(store, kwargs, error, param):
    unchanged(store, lambda: store.enable(**{"room": "r", **kwargs}), error, param)


# What replay_history reads takes these read parameters too.
REPLAY_PARAMS = {"room", "namespace", "limit", "since_seq", "include_events", "exclude_events"}


@pytest.mark.parametrize(("kwargs", "error", "param"), bad_read())
def test_bad_read_arguments(store, kwargs, error, param):
    call = {"room": "r", **kwargs}
    unchanged(store, lambda: store.fetch(**call), error, param)
    unchanged(store, lambda: store.page(**call), error, param)
    if param in REPLAY_PARAMS:
        unchanged(store, lambda: _Replayer(store).entries(**call), error, param)


def test_bad_store_construction():
    for bad, error in [(0, ValueError), (-5, ValueError), (True, TypeError), (1.5, TypeError)]:
        with pytest.raises(error, match="max_total_bytes"):
            HistoryStore(max_total_bytes=bad)
    with pytest.raises(TypeError, match="clock"):
        HistoryStore(clock=5)


def test_lone_surrogates_in_names_are_value_errors(store):
    unchanged(store, lambda: store.enable("\ud800"), ValueError, "room")
    unchanged(store, lambda: store.record("r", "\udfff", 1), ValueError, "event")
    unchanged(
        store, lambda: store.fetch("r", include_events=["\ud800"]), ValueError, "include_events"
    )


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(object(), id="object"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param([[[[[[]]]]]] * 3 + [{1j: 1}], id="complex-key"),
        pytest.param({"f": float}, id="type-object"),
    ],
)
def test_unrecordable_payloads_change_nothing(store, payload):
    before = snapshot(store)
    with pytest.raises((TypeError, ValueError)):
        store.record("r", "e", payload)
    assert snapshot(store) == before


def test_200k_deep_nesting_is_refused_without_recursion(store):
    deep = []
    for _ in range(200_000):
        deep = [deep]
    before = snapshot(store)
    with pytest.raises(TypeError, match="nesting"):
        store.record("r", "e", deep)
    assert snapshot(store) == before
    deep_dict = {}
    for _ in range(200_000):
        deep_dict = {"k": deep_dict}
    with pytest.raises(TypeError, match="nesting"):
        store.record("r", "e", deep_dict)


def test_huge_payloads_are_bounded_not_fatal():
    store = HistoryStore()
    store.enable("r", max_bytes=1024)
    huge = "x" * (64 * 2**20)
    assert store.record("r", "e", huge) is None  # larger than max_bytes
    assert store.stats("r")["rejected_oversize"] == 1
    store.enable("big")
    assert store.record("big", "e", huge) == 1  # no byte bound: kept whole
    assert store.fetch("big", payload_size_cap=10)[0]["data"] == "x" * 10
    assert store.stats("big")["bytes"] == len(huge)
    store.disable("big")


def test_huge_names_are_fine():
    store = HistoryStore()
    name = "n" * 2**20
    store.enable(name, namespace="/" + name)
    assert store.record(name, name, 1, namespace="/" + name) == 1
    assert store.fetch(name, namespace="/" + name, include_events=[name])[0]["event"] == name


def test_server_methods_refuse_bad_input_and_emits_still_go_out():
    import socketio  # noqa: PLC0415

    sio = socketio.Server()
    sent = []
    sio._send_eio_packet = lambda eio_sid, pkt: sent.append(pkt)
    sid = sio.manager.connect("eio1", "/")
    sio.manager.enter_room(sid, "/", "r")
    sio.enable_history("r", max_bytes=100)
    for bad in [None, 1, b"r"]:
        with pytest.raises(TypeError, match="room"):
            sio.get_history(bad)
    deep = "x"
    for _ in range(socketio_history.MAX_DEPTH + 5):
        deep = [deep]
    sio.emit("e", deep, to="r")  # json can send it; history refuses it
    sio.emit("e", "\ud800", to="r")
    sio.emit("e", "y" * 1000, to="r")  # over max_bytes
    assert len(sent) == 3, "every emit went out"
    stats = sio.get_history_stats("r")
    assert (stats["record_errors"], stats["rejected_oversize"], stats["entries_count"]) == (2, 1, 0)


def test_finalizers_that_use_history_during_reads_cannot_deadlock():
    # Small reads build their dicts under the room's lock. Garbage whose
    # finalizer reads and records into that same room, collected while
    # another thread records, must not deadlock: the collector is held off
    # during the build and left as it was found.
    import gc  # noqa: PLC0415
    import threading  # noqa: PLC0415

    store = HistoryStore()
    store.enable("r", max_entries=200)
    for i in range(200):
        store.record("r", "e", {"i": i, "tags": ["a", "b"]})
    finalized = []

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            finalized.append(len(store.fetch("r", 5)))
            store.record("r", "from-finalizer", 1)

    stop = threading.Event()

    def writer():
        while not stop.is_set():
            store.record("r", "e", {"w": 1})

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    old = gc.get_threshold()
    gc.set_threshold(50)  # collect often, during the reads' allocations
    try:
        for _ in range(300):
            for _ in range(20):
                Cycle()
            assert len(store.fetch("r", 100)) == 100
            assert store.page("r", 100)["entries"][-1]["seq"] > 0
    finally:
        gc.set_threshold(*old)
        stop.set()
        t.join(10)
    assert not t.is_alive()
    gc.collect()
    assert finalized and all(n == 5 for n in finalized)
    assert gc.isenabled()
    gc.disable()
    try:
        store.fetch("r", 10)
        assert not gc.isenabled(), "a read leaves a disabled collector disabled"
    finally:
        gc.enable()

"""What gets recorded: every way python-socketio delivers to a room, and
every payload its default serializer can send. No clients are connected
here (python-socketio's own emit returns early then; history must not)."""

import enum
import json
import logging
import math

import pytest
import socketio
import socketio_history


def datas(server, room="r", namespace="/"):
    return [e["data"] for e in server.get_history(room, namespace=namespace)]


# ---- delivery paths ----


def test_emit_to_and_room_and_send_are_recorded(server):
    server.enable_history("r")
    server.emit("e", 1, to="r")
    server.emit("e", 2, room="r")
    server.send(3, to="r")
    events = [(e["event"], e["data"]) for e in server.get_history("r")]
    assert events == [("e", 1), ("e", 2), ("message", 3)]


def test_namespace_class_emit_is_recorded(server):
    base = socketio.AsyncNamespace if server.is_async else socketio.Namespace
    ns = base("/chat")
    server.register_namespace(ns)
    server.enable_history("r", namespace="/chat")
    result = ns.emit("e", "from namespace", room="r")
    if server.is_async:
        import asyncio  # noqa: PLC0415

        asyncio.run(result)
    assert datas(server, namespace="/chat") == ["from namespace"]


def test_a_list_of_rooms_records_each_enabled_room_once(server):
    for room in ["a", "b"]:
        server.enable_history(room)
    server.emit("e", "x", to=["a", "b", "a", "not-enabled"])
    server.emit("e", "y", to=("b",))
    assert datas(server, "a") == ["x"]
    assert datas(server, "b") == ["x", "y"]
    assert server.get_history("not-enabled") == []


def test_skip_sid_emits_are_recorded(server):
    server.enable_history("r")
    server.emit("e", "x", to="r", skip_sid="someone")
    server.emit("e", "y", to="r", skip_sid=["a", "b"])
    assert datas(server) == ["x", "y"]


def test_recorded_with_nobody_connected_to_the_namespace(server):
    server.enable_history("r", namespace="/empty")
    server.emit("e", "x", to="r", namespace="/empty")
    assert datas(server, namespace="/empty") == ["x"]


def test_broadcasts_without_a_room_are_not_recorded(server):
    server.enable_history("r")
    server.emit("e", "x")
    server.send("y")
    assert server.get_history("r") == []
    assert server.get_history_stats("r")["record_errors"] == 0


def test_rooms_that_are_not_strings_are_simply_not_recorded(server, caplog):
    server.enable_history("5")
    server.emit("e", "x", to=5)
    assert server.get_history("5") == []
    assert not caplog.records


def test_a_server_without_history_records_nothing_and_makes_no_store(server):
    server.emit("e", "x", to="r")
    assert "_socketio_history" not in vars(server.sio)


# ---- payloads ----

ROUND_TRIP = [
    "text",
    "",
    "unicode ✓ é 𝄞",
    b"\x00\xffbinary",
    b"",
    0,
    -7,
    2**63 - 1,
    2**200,
    -(2**80),
    1.5,
    -0.0,
    1e300,
    math.inf,
    True,
    False,
    None,
    [],
    {},
    [1, "a", None, [True, [2.5]]],
    {"a": {"b": [1, {"c": None}]}, "": "empty key"},
    {"file": b"\x01\x02", "parts": [b"x", {"y": b"z"}]},
    ("several", "arguments", 3),
    ("one",),
    (),
    ("with", b"binary", {"k": b"v"}),
]


@pytest.mark.parametrize("payload", ROUND_TRIP, ids=repr)
def test_payloads_round_trip(server, payload):
    server.enable_history("r")
    server.emit("e", payload, to="r")
    [got] = datas(server)
    assert got == payload
    assert type(got) is type(payload)


def test_nan_round_trips(server):
    server.enable_history("r")
    server.emit("e", [math.nan], to="r")
    assert math.isnan(datas(server)[0][0])


def test_nested_tuples_come_back_as_lists_like_json(server):
    server.enable_history("r")
    server.emit("e", {"t": (1, 2)}, to="r")
    server.emit("e", ((1, 2), "x"), to="r")
    assert datas(server) == [{"t": [1, 2]}, ([1, 2], "x")]


def test_dict_keys_are_stored_as_json_writes_them(server):
    server.enable_history("r")
    server.emit("e", {1: "int", 2.5: "float", None: "none", "s": "str"}, to="r")
    server.emit("e", {True: "yes", False: "no"}, to="r")  # True == 1: a dict of its own
    assert datas(server) == [
        {"1": "int", "2.5": "float", "null": "none", "s": "str"},
        {"true": "yes", "false": "no"},
    ]


def test_subclass_dict_keys_and_values_are_stored_as_json_dumps_writes_them(server):
    class Color(int, enum.Enum):  # str() is "Color.RED"; json.dumps writes 1
        RED = 1

    class Loud(int):
        def __str__(self):
            return "loud"

        __repr__ = __str__

    class Shy(float):
        def __repr__(self):
            return "shy"

    big = Loud(2**70)
    payload = {Color.RED: 1, Loud(7): 2, Shy(0.5): 3, big: big, "c": Color.RED}
    server.enable_history("r")
    server.emit("e", payload, to="r")
    assert datas(server) == [json.loads(json.dumps(payload))]


def test_str_and_int_subclasses_are_taken_as_their_base(server):
    class Name(str):
        pass

    class Count(int):
        pass

    server.enable_history("r")
    server.emit("e", {"n": Name("x"), "c": Count(3)}, to="r")
    assert datas(server) == [{"n": "x", "c": 3}]


def test_stored_copy_is_a_snapshot(server):
    server.enable_history("r")
    payload = {"items": [1, 2], "meta": {"k": "v"}}
    server.emit("e", payload, to="r")
    payload["items"].append(3)
    payload["meta"]["k"] = "changed"
    assert datas(server) == [{"items": [1, 2], "meta": {"k": "v"}}]
    got = server.get_history("r")[0]["data"]
    got["items"].clear()
    assert datas(server)[0]["items"] == [1, 2], "reads return copies"


def test_entries_of_one_read_share_no_container(server):
    # A read shares immutable strings between its entries; never a list or
    # dict, however alike the entries are.
    server.enable_history("r")
    for _ in range(3):
        server.emit("e", {"tags": ["a", "b"], "meta": {"k": "v"}}, to="r")
    first, second, third = server.get_history("r")
    first["data"]["tags"].append("c")
    first["data"]["meta"]["k"] = "changed"
    first["event"] = "renamed"
    del second["seq"]
    assert third["data"] == {"tags": ["a", "b"], "meta": {"k": "v"}}
    assert third["event"] == "e" and "seq" in third
    assert [e["data"] for e in server.get_history("r")] == [third["data"]] * 3
    assert len({id(e) for e in (first, second, third)}) == 3


def test_payload_size_is_counted_per_spec(server):
    server.enable_history("r")
    server.emit("e", "é", to="r")
    server.emit("e", b"123", to="r")
    server.emit("e", {"a": [1, "x"]}, to="r")
    assert server.get_history_stats("r")["bytes"] == 2 + 3 + len('{"a":[1,"x"]}')


# ---- payloads history cannot hold: counted, logged, never raised ----


def deep(levels):
    value = "bottom"
    for _ in range(levels):
        value = [value]
    return value


UNRECORDABLE = [
    pytest.param(object(), id="object"),
    pytest.param({"s": {1, 2}}, id="set-inside"),
    pytest.param(bytearray(b"x"), id="bytearray"),
    pytest.param("lone \ud800 surrogate", id="lone-surrogate"),
    pytest.param({"k": "\udfff"}, id="nested-lone-surrogate"),
    pytest.param({("tuple", "key"): 1}, id="tuple-key"),
    pytest.param(deep(socketio_history.MAX_DEPTH + 1), id="too-deep"),
    pytest.param(deep(200_000), id="200k-deep"),
]


@pytest.mark.parametrize("payload", UNRECORDABLE)
def test_unrecordable_payloads_are_counted_and_logged_not_raised(server, payload, caplog):
    server.enable_history("a")
    server.enable_history("b")
    with caplog.at_level(logging.WARNING, logger="socketio_history"):
        server.emit("e", payload, to=["a", "b", "off"])
    for room in ["a", "b"]:
        stats = server.get_history_stats(room)
        assert (stats["record_errors"], stats["entries_count"]) == (1, 0), room
    [record] = [r for r in caplog.records if r.name == "socketio_history"]
    assert "not recorded" in record.getMessage()


def test_payload_at_max_depth_is_recorded(server):
    server.enable_history("r")
    server.emit("e", deep(socketio_history.MAX_DEPTH), to="r")
    assert datas(server) == [deep(socketio_history.MAX_DEPTH)]


def test_non_string_event_is_a_record_error(server):
    server.enable_history("r")
    server.emit(42, "x", to="r")
    assert server.get_history_stats("r")["record_errors"] == 1


def test_payload_for_rooms_without_history_is_not_even_converted(server, caplog):
    server.enable_history("other")
    server.emit("e", object(), to="r")
    assert not caplog.records
    assert server.get_history_stats("other")["record_errors"] == 0

"""Mutable messages (CONTRACT.md, "Mutable messages") in Python: the server methods on both
servers, what they emit, the errors, and end to end with the official
socket.io-client under Node (live clients, a late joiner, a recovering
client)."""

import asyncio

import pytest
import socketio
import socketio_history as sh
from conftest import Driver
from jsclient import JsClient
from realserver import running
from socketio_history import CLEAR, KEEP
from socketio_history._native import _Replayer

MUTATING = ["create_message", "update_message", "delete_message", "append_message"]


class Sent:
    """What a server emitted: (event, data, to) of every manager.emit."""

    def __init__(self, sio):
        self.items = []
        original = sio.manager.emit

        if isinstance(sio, socketio.AsyncServer):

            async def emit(event, data, namespace=None, room=None, **kw):
                self.items.append((event, data, kw.get("to") or room))
                return await original(event, data, namespace=namespace, room=room, **kw)
        else:

            def emit(event, data, namespace=None, room=None, **kw):
                self.items.append((event, data, kw.get("to") or room))
                return original(event, data, namespace=namespace, room=room, **kw)

        sio.manager.emit = emit


@pytest.fixture
def chat(server):
    server.enable_history("r", max_entries=1000)
    return server


def test_the_methods_are_coroutines_on_async_server():
    sio = socketio.AsyncServer()
    for name in MUTATING:
        assert asyncio.iscoroutinefunction(getattr(sio, name)), name
    for name in ["get_message", "get_message_versions"]:
        assert asyncio.iscoroutinefunction(getattr(sio, name)), name
    assert not asyncio.iscoroutinefunction(socketio.Server().create_message)


def test_create_emits_like_emit_and_mutations_emit_their_dict(chat):
    sent = Sent(chat.sio)
    c = chat.create_message("r", "chat", {"text": "hi"}, message_id="m1", owner="alice")
    assert c == {
        "message_id": "m1",
        "action": "create",
        "version": 1,
        "seq": 1,
        "event": "chat",
        "data": {"text": "hi"},
    }
    u = chat.update_message("r", "m1", data={"text": "edited"})
    a_stream = chat.create_message("r", "answer", "", message_id="a1")
    a = chat.append_message("r", "a1", "Hel")
    f = chat.append_message("r", "a1", "lo", final=True)
    d = chat.delete_message("r", "m1")
    assert [(e, to) for e, _, to in sent.items] == [
        ("chat", "r"),
        ("history:update", "r"),
        ("answer", "r"),
        ("history:append", "r"),
        ("history:append", "r"),
        ("history:delete", "r"),
    ]
    assert sent.items[0][1] == {"text": "hi"}
    assert (
        sent.items[1][1]
        == u
        == {
            "message_id": "m1",
            "action": "update",
            "version": 2,
            "seq": 2,
            "event": "chat",
            "data": {"text": "edited"},
        }
    )
    assert a_stream["seq"] == 3
    assert a == {
        "message_id": "a1",
        "action": "append",
        "version": 2,
        "seq": 4,
        "event": "answer",
        "fragment": "Hel",
        "final": False,
    }
    assert f["final"] is True and f["version"] == 3
    assert d["action"] == "delete" and d["data"] is None and d["version"] == 3
    assert chat.get_message("r", "a1")["data"] == "Hello"
    # The room's history holds each operation once (no second record of the
    # mutation emits).
    assert [e["seq"] for e in chat.get_history("r")] == [1, 2, 3, 4, 5, 6]


def test_generated_ids_and_the_entry_shape(chat):
    chat.sio.emit("plain", "x", to="r") if not chat.is_async else asyncio.run(
        chat.sio.emit("plain", "x", to="r")
    )
    c = chat.create_message("r", "chat", "hello")
    assert isinstance(c["message_id"], str) and len(c["message_id"]) == 26
    plain, msg = chat.get_history("r")
    assert plain["action"] == "create" and plain["message_id"] is None
    assert plain["version"] is None and plain["redacted"] is False
    assert msg["message_id"] == c["message_id"] and msg["version"] == 1


def test_keep_clear_and_none(chat):
    chat.create_message("r", "chat", "text", message_id="m")
    assert chat.update_message("r", "m", event="note")["data"] == "text"
    assert chat.update_message("r", "m", data="")["data"] == ""
    assert chat.update_message("r", "m", data=None)["data"] is None
    with pytest.raises(sh.InvalidMessageError):
        chat.update_message("r", "m", data=CLEAR)  # already none: changes nothing
    with pytest.raises(sh.InvalidMessageError):
        chat.update_message("r", "m", event=KEEP, data=KEEP)
    with pytest.raises(sh.InvalidMessageError, match="event"):
        chat.update_message("r", "m", event=CLEAR)
    with pytest.raises(TypeError):
        chat.update_message("r", "m", event=5)
    assert repr(KEEP) == "KEEP" and repr(CLEAR) == "CLEAR"


def test_views_versions_and_redaction(chat):
    chat.create_message("r", "chat", "secret", message_id="m")
    chat.append_message("r", "m", " text")
    chat.create_message("r", "chat", "other", message_id="o")
    chat.delete_message("r", "m")
    log = chat.get_history("r")
    assert [e["redacted"] for e in log] == [True, True, False, False]
    assert all("secret" not in repr(e["data"]) for e in log)
    latest = chat.get_history("r", view="latest")
    assert [(e["message_id"], e.get("deleted", False)) for e in latest] == [
        ("m", True),
        ("o", False),
    ]
    page = chat.get_history_page("r", view="latest", limit=1)
    assert [e["message_id"] for e in page["entries"]] == ["o"] and page["has_more"]
    versions = chat.get_message_versions("r", "m")
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["action"] == "delete"
    assert [v["data"] for v in versions] == [None, None, None]
    assert len(chat.get_message_versions("r", "m", limit=1)) == 1
    with pytest.raises(ValueError, match="view"):
        chat.get_history("r", view="newest")
    with pytest.raises(TypeError):
        chat.get_history("r", view=1)


def test_a_replay_leaves_deleted_messages_out_before_the_limit_counts(chat):
    for i in range(3):
        chat.create_message("r", "chat", f"m{i}", message_id=f"m{i}")
    chat.delete_message("r", "m2")
    replayed = _Replayer(chat.sio.history).entries("r", 2, "/")
    assert [e["data"] for e in replayed] == ["m0", "m1"]


def test_errors_are_distinct_and_builtin(chat):
    cases = [
        (lambda: chat.create_message("nohistory", "chat", "x"), sh.HistoryNotEnabledError),
        (lambda: chat.get_message("r", "missing"), sh.MessageNotFoundError),
        (lambda: chat.create_message("r", "chat", "x", message_id="a b"), sh.InvalidMessageError),
        (lambda: chat.append_message("r", "missing", "x"), sh.MessageNotFoundError),
    ]
    for call, cls in cases:
        with pytest.raises(cls) as info:
            call()
        assert isinstance(info.value, sh.HistoryError)
    assert issubclass(sh.HistoryNotEnabledError, ValueError)
    assert issubclass(sh.MessageNotFoundError, LookupError)
    assert issubclass(sh.InvalidMessageError, ValueError)
    assert issubclass(sh.MessageTooLargeError, ValueError)
    assert issubclass(sh.MessageForbiddenError, PermissionError)
    chat.enable_history("small", max_message_bytes=4, max_appends=1, max_open_streams=1)
    chat.create_message("small", "chat", "", message_id="s")
    chat.append_message("small", "s", "ab")
    with pytest.raises(sh.MessageTooLargeError) as info:
        chat.append_message("small", "s", "c")
    assert info.value.limit == "max_appends"
    with pytest.raises(sh.MessageTooLargeError) as info:
        chat.create_message("small", "chat", "12345")
    assert info.value.limit == "max_message_bytes"


def test_a_stream_evicted_mid_answer_says_why_it_is_gone(chat):
    # Many answers streaming into one small room: the oldest answer's
    # entries are evicted between two of its tokens.
    chat.enable_history("busy", max_entries=4)
    chat.create_message("busy", "answer", "", message_id="first")
    for k in range(4):
        chat.create_message("busy", "answer", "", message_id=f"other{k}")
    with pytest.raises(sh.MessageNotFoundError) as info:
        chat.append_message("busy", "first", "token")
    text = str(info.value)
    assert "'first'" in text or '"first"' in text
    assert "evicted" in text and "max_entries" in text
    assert chat.get_message("busy", "other3")["data"] == ""


def test_a_failed_operation_emits_nothing_and_uses_no_seq(chat):
    sent = Sent(chat.sio)
    chat.create_message("r", "chat", "x", message_id="m", owner="alice")
    before = chat.get_history_stats("r")["last_seq"]
    grants = {"message_update_own": ["*"]}
    with pytest.raises(PermissionError):
        chat.update_message("r", "m", data="y", actor="bob", grants=grants)
    with pytest.raises(sh.InvalidMessageError):
        chat.append_message("r", "m", "")
    with pytest.raises(sh.MessageNotFoundError):
        chat.delete_message("r", "zz")
    assert len(sent.items) == 1
    assert chat.get_history_stats("r")["last_seq"] == before
    # The owner may.
    assert chat.update_message("r", "m", data="y", actor="alice", grants=grants)["version"] == 2


@pytest.mark.parametrize(
    "grants, actor, allowed",
    [
        (None, None, True),  # the server itself
        ({}, "alice", False),  # an actor without grants
        ({"message_delete_any": "r"}, "bob", True),
        ({"message_delete_any": ["x", "r*"]}, "bob", True),
        ({"message_delete_any": "other"}, "bob", False),
        ({"message_delete_own": "*"}, "alice", True),
        ({"message_delete_own": "*"}, "bob", False),
        ({"message_update_any": "*"}, "bob", False),  # wrong verb
    ],
)
def test_the_authorization_matrix(chat, grants, actor, allowed):
    chat.create_message("r", "chat", "x", message_id="m", owner="alice")
    if allowed:
        chat.delete_message("r", "m", actor=actor, grants=grants)
        assert chat.get_message("r", "m")["deleted"] is True
    else:
        with pytest.raises(sh.MessageForbiddenError):
            chat.delete_message("r", "m", actor=actor, grants=grants)
        assert chat.get_message("r", "m")["deleted"] is False


def test_bad_grants_are_refused(chat):
    chat.create_message("r", "chat", "x", message_id="m")
    with pytest.raises(sh.InvalidMessageError, match="unknown grant"):
        chat.delete_message("r", "m", actor="a", grants={"message_erase_any": "*"})
    with pytest.raises(TypeError):
        chat.delete_message("r", "m", actor="a", grants=["message_delete_any"])
    with pytest.raises(TypeError):
        chat.delete_message("r", "m", actor="a", grants={"message_delete_any": [1]})
    with pytest.raises(TypeError):
        chat.delete_message("r", "m", actor=7, grants={})
    assert chat.get_message("r", "m")["deleted"] is False


BAD_CALLS = [
    ("create_message", ("r", 5, "x"), {}, TypeError, "event"),
    ("create_message", (5, "chat", "x"), {}, TypeError, "room"),
    ("create_message", ("r", "chat", object()), {}, TypeError, "payload"),
    ("create_message", ("r", "chat", "x"), {"message_id": 7}, TypeError, "message_id"),
    ("create_message", ("r", "chat", "x"), {"owner": b"a"}, TypeError, "owner"),
    ("create_message", ("r", "chat", "x"), {"owner": ""}, ValueError, "owner"),
    ("create_message", ("r", "chat", "x"), {"namespace": 1}, TypeError, "namespace"),
    ("update_message", ("r", None), {"data": "x"}, TypeError, "message_id"),
    ("update_message", ("r", "m"), {"data": {1, 2}}, TypeError, "payload"),
    ("append_message", ("r", "m", 5), {}, TypeError, "fragment"),
    ("append_message", ("r", "m", "x"), {"final": 1}, TypeError, "final"),
    ("append_message", ("r", "m", "x"), {"actor": ""}, ValueError, "actor"),
    ("delete_message", ("r", "m"), {"grants": "message_delete_any"}, TypeError, "grants"),
    ("get_message_versions", ("r", "m"), {"limit": -1}, ValueError, "limit"),
    ("get_message_versions", ("r", "m"), {"limit": "3"}, TypeError, "limit"),
    ("get_message", ("r", 3), {}, TypeError, "message_id"),
]


@pytest.mark.parametrize("method, args, kwargs, error, param", BAD_CALLS)
def test_bad_arguments_are_refused_and_change_nothing(chat, method, args, kwargs, error, param):
    chat.create_message("r", "chat", "text", message_id="m")
    before = (chat.get_history("r"), chat.get_message("r", "m"))
    sent = Sent(chat.sio)
    with pytest.raises(error, match=param):
        getattr(chat, method)(*args, **kwargs)
    assert (chat.get_history("r"), chat.get_message("r", "m")) == before
    assert sent.items == []


def test_the_mutation_prefix_is_a_room_option(server):
    server.enable_history("r", mutation_prefix="msg.")
    sent = Sent(server.sio)
    server.create_message("r", "chat", "", message_id="m")
    server.append_message("r", "m", "x")
    assert [e for e, _, _ in sent.items] == ["chat", "msg.append"]
    assert server.get_history_stats("r")["mutation_prefix"] == "msg."


def test_get_message_is_read_your_writes(chat):
    chat.create_message("r", "chat", "", message_id="m")
    for token in ["a", "b", "c"]:
        chat.append_message("r", "m", token)
        assert chat.get_message("r", "m")["data"].endswith(token)
    state = chat.get_message("r", "m")
    assert state["streaming"] is True and state["appends"] == 3 and state["version"] == 4


# ---- end to end with socket.io-client ------------------------------------


def make_server(kind):
    if kind == "threading":
        sio = socketio.Server(async_mode="threading")

        @sio.on("join")
        def join(sid, room):
            sio.enter_room(sid, room)
            return sio.replay_history(sid, room)

    else:
        sio = socketio.AsyncServer(async_mode="aiohttp")

        @sio.on("join")
        async def join(sid, room):
            await sio.enter_room(sid, room)
            return await sio.replay_history(sid, room)

    return sio


@pytest.fixture(params=["threading", "asyncio"])
def kind(request):
    return request.param


def events_of(client, start=0):
    return [(n, a) for n, a in client.events(start)]


def test_live_clients_see_operations_in_order_and_a_late_joiner_the_latest_view(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as live, JsClient() as late:
        srv.do("enable_history", "room", max_entries=100)
        live.connect(srv.url)
        assert live.emit_with_ack("join", "room") == [0]
        srv.do("create_message", "room", "chat", {"text": "hi"}, message_id="c1")
        srv.do("create_message", "room", "answer", "", message_id="a1")
        for token in ["The ", "answer ", "is "]:
            srv.do("append_message", "room", "a1", token)
        srv.do("update_message", "room", "c1", data={"text": "hi (edited)"})
        srv.do("create_message", "room", "chat", {"text": "oops"}, message_id="c2")
        srv.do("delete_message", "room", "c2")
        live.wait_for(lambda r: r["ev"] == "event" and r["name"] == "history:delete")
        got = [
            (n, a[0].get("version") if n.startswith("history:") else a[0])
            for n, a in events_of(live)
        ]
        assert got == [
            ("chat", {"text": "hi"}),
            ("answer", ""),
            ("history:append", 2),
            ("history:append", 3),
            ("history:append", 4),
            ("history:update", 2),
            ("chat", {"text": "oops"}),
            ("history:delete", 2),
        ]
        appends = [a[0]["fragment"] for n, a in events_of(live) if n == "history:append"]
        assert "".join(appends) == "The answer is "

        # A client joining mid-answer gets the text so far, then the rest live.
        late.connect(srv.url)
        assert late.emit_with_ack("join", "room") == [2]
        mark = late.mark()
        srv.do("append_message", "room", "a1", "42.", final=True)
        late.wait_for(lambda r: r["ev"] == "event" and r["name"] == "history:append", start=mark)
        replayed = events_of(late)
        assert replayed[:2] == [
            ("chat", [{"text": "hi (edited)"}]),
            ("answer", ["The answer is "]),
        ]
        last = replayed[2]
        assert last[0] == "history:append"
        assert last[1][0]["fragment"] == "42." and last[1][0]["final"] is True
        # What the replay sent is the latest view, deleted ones left out.
        latest = srv.do("get_history", "room", view="latest")
        assert [(e["event"], e["data"]) for e in latest if not e.get("deleted")] == [
            ("chat", {"text": "hi (edited)"}),
            ("answer", "The answer is 42."),
        ]


def test_a_recovering_client_gets_exactly_the_operations_it_missed(kind):
    sio = make_server(kind)
    with running(sio) as srv, JsClient() as c:
        srv.do("enable_connection_state_recovery", max_disconnection_duration=30)
        srv.do("enable_history", "room")
        c.connect(srv.url, delay=500)
        assert c.emit_with_ack("join", "room") == [0]
        srv.do("create_message", "room", "answer", "", message_id="a1")
        srv.do("append_message", "room", "a1", "one ")
        c.wait_for(lambda r: r["ev"] == "event" and r["name"] == "history:append")
        start = c.drop()
        srv.do("append_message", "room", "a1", "two ")
        srv.do("create_message", "room", "chat", "secret", message_id="gone")
        srv.do("update_message", "room", "gone", data="still secret")
        srv.do("delete_message", "room", "gone")
        srv.do("append_message", "room", "a1", "three", final=True)
        back = c.wait_connect(start)
        assert back["recovered"] is True
        end = c.reports.index(back)
        missed = [(n, a[:-1]) for n, a in c.events(start, end)]
        # The operations in order; those of the deleted message lost their
        # content (left out), its delete is replayed.
        assert [n for n, _ in missed] == ["history:append", "history:delete", "history:append"]
        assert missed[0][1][0]["fragment"] == "two "
        assert missed[1][1][0]["message_id"] == "gone"
        assert missed[2][1][0]["fragment"] == "three" and missed[2][1][0]["final"] is True
        assert "secret" not in repr(missed)
        assert c.events(end) == []


def test_driver_sees_the_same_on_both_servers():
    """The Driver runs coroutines: one check that mutations through it
    really went through AsyncServer's coroutines."""
    d = Driver(socketio.AsyncServer())
    d.enable_history("r")
    assert d.create_message("r", "chat", "x")["version"] == 1

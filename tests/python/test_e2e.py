"""End to end over loopback: real servers, real clients, real sockets.

A chat room with history: clients chat, a late joiner receives the room's
history through replay_history, a reconnecting client resumes with
get_history_page(since_seq, epoch) and gets exactly what it missed — or
gap=True once that is no longer possible."""

import asyncio
import threading

import socketio
from realserver import AsyncInbox, Inbox, aiohttp_server, wsgi_server

ROOM = "lobby"


def sync_chat_server(**history):
    # A short ping interval bounds how long a polling client's disconnect can
    # wait for its pending long-poll (25 s by default).
    sio = socketio.Server(async_mode="threading", ping_interval=1)
    sio.enable_history(ROOM, **history)

    @sio.on("join")
    def join(sid, since=None):
        sio.enter_room(sid, ROOM)
        if since is None:
            return sio.replay_history(sid, ROOM)
        return sio.get_history_page(ROOM, since_seq=since["seq"], epoch=since["epoch"])

    @sio.on("say")
    def say(sid, data):
        sio.emit("chat", data, to=ROOM, skip_sid=sid)

    @sio.on("cursor")
    def cursor(sid):
        stats = sio.get_history_stats(ROOM)
        return {"seq": stats["last_seq"], "epoch": stats["epoch"]}

    return sio


def connect(url, inbox=None, transport="polling"):
    # Polling by default: against werkzeug a websocket client needs ~3 s to
    # disconnect. The late joiner below uses a websocket, so both are covered.
    client = socketio.Client()
    if inbox is not None:
        inbox.attach(client)
    client.connect(url, transports=[transport], wait_timeout=10)
    return client


def test_threading_server_late_joiner_gets_the_history_by_replay():
    sio = sync_chat_server()
    with wsgi_server(sio) as url:
        alice, bob = connect(url), connect(url)
        alice.call("join")
        bob.call("join")
        alice.call("say", {"from": "alice", "text": "hi"})
        bob.call("say", {"from": "bob", "text": "hey", "avatar": b"\x89PNG"})
        sio.emit("topic", ("general", 2), to=ROOM)  # several arguments
        # What the server recorded is what went out.
        assert [e["event"] for e in sio.get_history(ROOM)] == ["chat", "chat", "topic"]

        inbox = Inbox()
        carol = connect(url, inbox, transport="websocket")
        assert carol.call("join") == 3
        assert inbox.wait_for(3) == [
            ("chat", {"from": "alice", "text": "hi"}),
            ("chat", {"from": "bob", "text": "hey", "avatar": b"\x89PNG"}),
            ("topic", ("general", 2)),
        ]
        # New messages follow the replayed ones, in order.
        alice.call("say", {"from": "alice", "text": "welcome carol"})
        assert inbox.wait_for(4)[3] == ("chat", {"from": "alice", "text": "welcome carol"})
        for c in (alice, bob, carol):
            c.disconnect()


def test_threading_server_reconnecting_client_resumes_or_is_told_of_a_gap():
    sio = sync_chat_server(max_entries=5)
    with wsgi_server(sio) as url:
        speaker = connect(url)
        speaker.call("join")
        reader = connect(url)
        reader.call("join")
        speaker.call("say", "one")
        cursor = reader.call("cursor")
        reader.disconnect()

        speaker.call("say", "two")
        speaker.call("say", "three")
        reader = connect(url)
        page = reader.call("join", cursor)
        assert [e["data"] for e in page["entries"]] == ["two", "three"]
        assert page["gap"] is False and page["epoch"] == cursor["epoch"]
        cursor = {"seq": page["last_seq"], "epoch": page["epoch"]}
        reader.disconnect()

        for i in range(6):  # more than max_entries: what it missed is evicted
            speaker.call("say", f"flood {i}")
        reader = connect(url)
        page = reader.call("join", cursor)
        assert page["gap"] is True
        reader.disconnect()

        # A restart (a new lifetime) is noticed through the epoch.
        sio.disable_history(ROOM)
        sio.enable_history(ROOM)
        speaker.call("say", "after restart")
        reader = connect(url)
        page = reader.call("join", {"seq": 0, "epoch": cursor["epoch"]})
        assert page["gap"] is True
        assert [e["data"] for e in page["entries"]] == ["after restart"]
        reader.disconnect()
        speaker.disconnect()


def test_emits_history_cannot_hold_still_reach_the_clients():
    sio = sync_chat_server(max_bytes=64)
    too_deep = "bottom"
    for _ in range(200):
        too_deep = [too_deep]
    with wsgi_server(sio) as url:
        inbox = Inbox()
        client = connect(url, inbox)
        client.call("join")
        sio.emit("e", "lone \ud800 surrogate", to=ROOM)
        sio.emit("e", too_deep, to=ROOM)
        sio.emit("e", "x" * 100, to=ROOM)  # larger than max_bytes
        sio.emit("e", "fits", to=ROOM)
        got = inbox.wait_for(4)
        assert [len(str(d)) > 0 for _, d in got] == [True] * 4
        assert got[1][1] == too_deep and got[2][1] == "x" * 100
        stats = sio.get_history_stats(ROOM)
        assert (stats["record_errors"], stats["rejected_oversize"]) == (2, 1)
        assert [e["data"] for e in sio.get_history(ROOM)] == ["fits"]
        client.disconnect()


def test_async_server_late_joiner_and_resume():
    async def scenario():
        sio = socketio.AsyncServer(async_mode="aiohttp")
        await sio.enable_history(ROOM, max_entries=50)

        @sio.on("join")
        async def join(sid, since=None):
            await sio.enter_room(sid, ROOM)
            if since is None:
                return await sio.replay_history(sid, ROOM)
            return await sio.get_history_page(ROOM, since_seq=since, limit=10)

        @sio.on("say")
        async def say(sid, data):
            await sio.emit("chat", data, to=ROOM, skip_sid=sid)

        async with aiohttp_server(sio) as url:
            alice = socketio.AsyncClient()
            await alice.connect(url, transports=["websocket"], wait_timeout=10)
            await alice.call("join")
            for text in ["a", "b", "c"]:
                await alice.call("say", {"text": text, "blob": text.encode()})

            inbox = AsyncInbox()
            late = socketio.AsyncClient()
            inbox.attach(late)
            await late.connect(url, transports=["websocket"], wait_timeout=10)
            assert await late.call("join") == 3
            got = await inbox.wait_for(3)
            assert got == [("chat", {"text": t, "blob": t.encode()}) for t in "abc"]

            page = await late.call("join", 1)
            assert [e["seq"] for e in page["entries"]] == [2, 3]
            assert page["gap"] is False
            await alice.disconnect()
            await late.disconnect()

    asyncio.run(scenario())


def test_threads_emitting_into_one_room_keep_every_entry_in_order():
    sio = socketio.Server()
    sio.enable_history(ROOM, max_entries=100_000)
    threads, per_thread = 4, 2_000

    def worker(t):
        for i in range(per_thread):
            sio.emit("e", {"t": t, "i": i}, to=ROOM)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    entries = sio.get_history(ROOM)
    assert len(entries) == threads * per_thread
    assert [e["seq"] for e in entries] == list(range(1, threads * per_thread + 1))
    for t in range(threads):
        mine = [e["data"]["i"] for e in entries if e["data"]["t"] == t]
        assert mine == list(range(per_thread))

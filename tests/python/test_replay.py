"""replay_history at its boundary with live traffic (docs/CONTRACT.md,
"python-socketio"): a client that joins a room while another thread (or
task) keeps emitting to it receives every entry once, whatever the
interleaving; enter_room_with_history also keeps them in order; and a
replay re-applies skip_sid."""

import asyncio
import itertools
import threading
import time

import pytest
import socketio
from realserver import AsyncInbox, Inbox, aiohttp_server, wsgi_server

BEFORE = 1000
LIVE = 300


def check_exactly_once(received):
    got = [d["i"] for _, d in received]
    assert sorted(got) == list(range(BEFORE + LIVE)), "every entry once"
    # Live entries until the replay, the replayed ones, live ones again:
    # each run in order, so the order drops once at most (where the replay
    # starts); an emit overtaking the replay would drop it again.
    drops = sum(1 for a, b in itertools.pairwise(got) if b < a)
    assert drops <= 1, got


def check_in_order(received):
    """Every entry once and in record order: no live emit overtook the
    replay."""
    assert [d["i"] for _, d in received] == list(range(BEFORE + LIVE))


# How the client joins: `enter_room` then, after the handler's own work,
# `replay_history` (live emits may land in between: exact, not in order);
# or `enter_room_with_history` (exact and in order).
JOINS = {"separately": check_exactly_once, "together": check_in_order}


@pytest.mark.parametrize("join_how", list(JOINS))
def test_replay_under_threads_is_exact(join_how):
    sio = socketio.Server(async_mode="threading")
    sio.enable_history("r", max_entries=10_000)

    @sio.on("join")
    def join(sid):
        if join_how == "together":
            return sio.enter_room_with_history(sid, "r")
        sio.enter_room(sid, "r")
        time.sleep(0.02)  # the handler's own work: live emits land meanwhile
        return sio.replay_history(sid, "r")

    for i in range(BEFORE):
        sio.emit("e", {"i": i}, to="r")
    go = threading.Event()

    def emitter():
        go.wait(10)
        for i in range(BEFORE, BEFORE + LIVE):
            sio.emit("e", {"i": i}, to="r")
            time.sleep(0.0005)

    with wsgi_server(sio) as url:
        inbox = Inbox()
        client = socketio.Client()
        inbox.attach(client)
        client.connect(url, transports=["websocket"])
        thread = threading.Thread(target=emitter)
        thread.start()
        go.set()
        time.sleep(0.03)  # join while the emits go on
        replayed = client.call("join")
        thread.join()
        JOINS[join_how](inbox.wait_for(BEFORE + LIVE, timeout=20))
        assert replayed >= BEFORE
        assert "r" in sio.rooms(client.get_sid())
        client.disconnect()


@pytest.mark.parametrize("join_how", list(JOINS))
def test_replay_under_asyncio_is_exact(join_how):
    async def scenario():
        sio = socketio.AsyncServer(async_mode="aiohttp")
        await sio.enable_history("r", max_entries=10_000)

        @sio.on("join")
        async def join(sid):
            if join_how == "together":
                return await sio.enter_room_with_history(sid, "r")
            await sio.enter_room(sid, "r")
            await asyncio.sleep(0.02)  # the handler's own work
            return await sio.replay_history(sid, "r")

        for i in range(BEFORE):
            await sio.emit("e", {"i": i}, to="r")

        async def emitter():
            for i in range(BEFORE, BEFORE + LIVE):
                await sio.emit("e", {"i": i}, to="r")
                await asyncio.sleep(0.0005)

        async with aiohttp_server(sio) as url:
            inbox = AsyncInbox()
            client = socketio.AsyncClient()
            inbox.attach(client)
            await client.connect(url, transports=["websocket"])
            task = asyncio.create_task(emitter())
            await asyncio.sleep(0.03)  # join while the emits go on
            replayed = await client.call("join")
            await task
            JOINS[join_how](await inbox.wait_for(BEFORE + LIVE, timeout=20))
            assert replayed >= BEFORE
            await client.disconnect()

    asyncio.run(scenario())


def test_enter_room_with_history_takes_the_replay_options_and_checks_them_first():
    sio = socketio.Server(async_mode="threading")
    sio.enable_history("r")

    @sio.on("join")
    def join(sid, kwargs):
        try:
            return sio.enter_room_with_history(sid, "r", **kwargs)
        except (TypeError, ValueError) as e:
            return [type(e).__name__, sorted(sio.rooms(sid))]

    with wsgi_server(sio) as url:
        inbox = Inbox()
        client = socketio.Client()
        inbox.attach(client)
        client.connect(url, transports=["websocket"])
        sid = client.get_sid()
        for i in range(5):
            sio.emit("e", {"i": i}, to="r")
        sio.emit("other", {"i": 5}, to="r")
        # Bad arguments: an error, and the client is not in the room.
        for bad in ({"limit": -1}, {"since_seq": "x"}, {"include_events": 5}):
            assert client.call("join", bad) == [
                "ValueError" if bad.get("limit") == -1 else "TypeError",
                [sid],
            ]
        with pytest.raises(TypeError, match="room"):
            sio.enter_room_with_history(sid, 5)
        with pytest.raises(TypeError, match="sid"):
            sio.enter_room_with_history(None, "r")
        assert client.call("join", {"limit": 2, "include_events": "e"}) == 2
        assert [d["i"] for _, d in inbox.wait_for(2)] == [3, 4]
        assert "r" in sio.rooms(sid)
        # A client that is not connected is left alone.
        assert sio.enter_room_with_history("no-such-sid", "r") == 0
        assert "no-such-sid" not in sio.manager.rooms.get("/", {}).get("r", {})
        client.disconnect()


def test_a_replay_leaves_out_what_skipped_the_client():
    sio = socketio.Server(async_mode="threading")
    sio.enable_history("r")

    @sio.on("join")
    def join(sid):
        sio.enter_room(sid, "r")
        return sio.replay_history(sid, "r")

    with wsgi_server(sio) as url:
        inbox = Inbox()
        client = socketio.Client()
        inbox.attach(client)
        client.connect(url, transports=["websocket"])
        sio.emit("e", {"i": 0}, to="r")
        sio.emit("e", {"i": 1}, to="r", skip_sid=client.get_sid())
        sio.emit("e", {"i": 2}, to="r", skip_sid=["someone", "else"])
        assert client.call("join") == 2
        assert [d["i"] for _, d in inbox.wait_for(2)] == [0, 2]
        client.disconnect()

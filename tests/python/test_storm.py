"""Reconnect storms (CI-sized): 300 official socket.io-client sockets in one
room drop at once, miss 20 events and reconnect at once; every one comes
back recovered, with its id and exactly the events it missed, on the
threading and the asyncio server, and when they move from one Redis
Streams node to another. (The 1,000-client storm, timed against
python-socketio's own reconnect and the JS server, is in `make bench`.)"""

import time

import pytest
from jsclient import JsStorm
from realserver import joining_server, running

CLIENTS = 300
MISSED = 20


def until_all_got(storm, expect, timeout=15.0):
    deadline = time.monotonic() + timeout
    while (got := storm.check(expect))["exact"] < CLIENTS and time.monotonic() < deadline:
        time.sleep(0.1)
    assert got["exact"] == CLIENTS, got["example"]


def participants(server, room):
    return len(list(server.sio.manager.get_participants("/", room)))


@pytest.mark.parametrize("kind", ["threading", "asyncio"])
def test_a_storm_of_clients_all_come_back_recovered_with_exactly_what_they_missed(kind):
    sio = joining_server(kind)
    with running(sio) as server:
        server.do("enable_connection_state_recovery")
        with JsStorm() as storm:
            storm.open(server.url, CLIENTS, "room")
            assert participants(server, "room") == CLIENTS
            server.do("emit", "chat", "before", to="room")
            until_all_got(storm, ["before"])  # each holds an offset
            storm.drop()
            deadline = time.monotonic() + 30
            while participants(server, "room") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert participants(server, "room") == 0, "the server saw every drop"
            for k in range(MISSED):
                server.do("emit", "chat", k, to="room")
            storm.reconnect()
            got = storm.check(list(range(MISSED)))
            assert got["recovered"] == CLIENTS, got
            assert got["same_id"] == CLIENTS, got
            assert got["exact"] == CLIENTS, got["example"]
            assert participants(server, "room") == CLIENTS
            # Live traffic reaches all of them, once.
            server.do("emit", "chat", "after", to="room")
            until_all_got(storm, [*range(MISSED), "after"])


@pytest.mark.parametrize("kind", ["streams", "async-streams"])
def test_a_storm_moving_to_another_streams_node_comes_back_recovered(kind, redis_url):
    """The same storm across two nodes on a Redis stream: the clients drop
    from node A and come back, all at once, on node B, which takes each
    session over from Redis."""
    import redis  # noqa: PLC0415
    from cluster import Node, Switch, wait_until  # noqa: PLC0415

    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    a = Node(kind, redis_url, True, "--recovery")
    b = Node(kind, redis_url, True, "--recovery")
    switch = Switch(a.port)
    try:
        with JsStorm() as storm:
            storm.open(switch.url, CLIENTS, "a")
            a.emit("chat", "before", "a")
            until_all_got(storm, ["before"])
            switch.backend = b.port
            storm.drop()

            def dropped():
                keys = r.keys("{socketio}:recovery:*")
                return sum(r.hget(k, "s") == b"dropped" for k in keys)

            wait_until(lambda: dropped() == CLIENTS, "node A to keep every session", 30)
            for k in range(MISSED):
                b.emit("chat", k, "a")
            storm.reconnect()
            got = storm.check(list(range(MISSED)))
            assert got["recovered"] == CLIENTS, got
            assert got["same_id"] == CLIENTS, got
            assert got["exact"] == CLIENTS, got["example"]
            a.emit("chat", "after", "a")  # from the node they left, through the stream
            until_all_got(storm, [*range(MISSED), "after"])
    finally:
        switch.close()
        a.close()
        b.close()

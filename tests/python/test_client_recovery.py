"""python-socketio's own clients speak connection state recovery too
(docs/CONTRACT.md, "Connection state recovery"): against this package's server (threading and
asyncio) the trailing offset never reaches a handler, and a client whose
websocket drops comes back with its sid and what it missed."""

import asyncio
import gc
import threading
import time
import warnings

import pytest
import socketio
from realserver import joining_server, running, wsgi_server


@pytest.fixture(autouse=True)
def _collect_dropped_sockets():
    """python-engineio's client leaves the socket of a connection that died
    under it to the garbage collector (a ResourceWarning whenever that
    runs): collect it here, where the warning is expected, not in a later
    test."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


class Recorder:
    """Everything a client's handlers saw, in order (thread-safe)."""

    def __init__(self):
        self.seen = []
        self.cond = threading.Condition()

    def add(self, item):
        with self.cond:
            self.seen.append(item)
            self.cond.notify_all()

    def wait(self, pred, timeout=10.0):
        with self.cond:
            assert self.cond.wait_for(lambda: pred(self.seen), timeout), self.seen
            return list(self.seen)


def client_with(rec):
    c = socketio.Client(reconnection_delay=0.3, reconnection_delay_max=0.3, randomization_factor=0)

    @c.on("*")
    def any_event(event, *args):
        rec.add((event, args))

    @c.on("named")
    def named(a, b):  # fixed parameters: an extra argument would break it
        rec.add(("named", (a, b)))

    @c.event
    def connect():
        rec.add(("connect", c.get_sid(), c.is_recovered()))

    return c


@pytest.mark.parametrize("kind", ["threading", "asyncio"])
def test_a_python_client_recovers_and_never_sees_offsets(kind):
    rec = Recorder()
    sio = joining_server(kind)
    with running(sio) as srv:
        srv.do("enable_connection_state_recovery")
        c = client_with(rec)
        c.connect(srv.url, transports=["websocket"])
        try:
            sid = c.get_sid()
            assert c.call("join", "lobby") == "joined"
            srv.do("emit", "chat", "hello", to="lobby")
            srv.do("emit", "named", ("x", "last is a str"), to="lobby")
            rec.wait(lambda s: ("named", ("x", "last is a str")) in s)
            c.eio.ws.close()  # the connection dies under the client
            time.sleep(0.1)
            srv.do("emit", "chat", "missed", to="lobby")
            srv.do("emit", "chat", "not for it", to="elsewhere")
            seen = rec.wait(lambda s: ("connect", sid, True) in s and ("chat", ("missed",)) in s)
            assert c.get_sid() == sid and c.is_recovered()
            events = [e for e in seen if e[0] != "connect"]
            assert events == [
                ("chat", ("hello",)),
                ("named", ("x", "last is a str")),
                ("chat", ("missed",)),
            ]
            assert c.call("join", "lobby") == "joined", "acks carry no offset"
        finally:
            c.disconnect()


def test_against_a_server_without_recovery_nothing_is_stripped():
    rec = Recorder()
    sio = socketio.Server(async_mode="threading")
    with wsgi_server(sio) as url:
        c = client_with(rec)
        c.connect(url, transports=["websocket"])
        try:
            sio.emit("chat", ("a", "looks like an offset"))
            rec.wait(lambda s: any(e[0] == "chat" for e in s))
            assert ("chat", ("a", "looks like an offset")) in rec.seen
            assert c.is_recovered() is False
        finally:
            c.disconnect()


def test_an_async_client_recovers():
    async def scenario():
        sio = joining_server("asyncio")
        await sio.enable_connection_state_recovery()
        from realserver import aiohttp_server  # noqa: PLC0415

        got = []
        async with aiohttp_server(sio) as url:
            c = socketio.AsyncClient(
                reconnection_delay=0.3, reconnection_delay_max=0.3, randomization_factor=0
            )

            @c.on("*")
            async def any_event(event, *args):
                got.append((event, args))

            await c.connect(url, transports=["websocket"], auth={"token": "t"})
            sid = c.get_sid()
            assert await c.call("join", "lobby") == "joined"
            await sio.emit("chat", "hello", to="lobby")
            await c.eio.ws.close()  # the connection dies under the client
            await asyncio.sleep(0.1)
            await sio.emit("chat", "missed", to="lobby")
            for _ in range(100):
                if ("chat", ("missed",)) in got and c.is_recovered():
                    break
                await asyncio.sleep(0.05)
            assert c.get_sid() == sid and c.is_recovered()
            assert got == [("chat", ("hello",)), ("chat", ("missed",))]
            await c.disconnect()

    asyncio.run(scenario())


def test_a_python_client_recovers_over_polling():
    rec = Recorder()
    sio = joining_server("threading")
    sio.enable_connection_state_recovery()
    auths = []

    @sio.event
    def connect(sid, environ, auth):
        auths.append(auth)

    with wsgi_server(sio) as url:
        c = client_with(rec)
        c.connect(url, transports=["polling"], auth=lambda: {"token": "t"})
        try:
            sid = c.get_sid()
            assert c.call("join", "lobby") == "joined"
            sio.emit("chat", "hello", to="lobby")
            rec.wait(lambda s: ("chat", ("hello",)) in s)
            # The server loses the transport (no close handshake): the
            # client's next poll fails and python-socketio reconnects.
            eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
            sio.eio.sockets[eio_sid].close(
                wait=False, abort=True, reason=sio.reason.TRANSPORT_CLOSE
            )
            sio.emit("chat", "missed", to="lobby")
            seen = rec.wait(lambda s: ("connect", sid, True) in s and ("chat", ("missed",)) in s)
            assert [e for e in seen if e[0] == "chat"] == [
                ("chat", ("hello",)),
                ("chat", ("missed",)),
            ]
        finally:
            c.disconnect()


def cut_network(client, seconds):
    """The client's network is gone for ``seconds``: every HTTP request of
    its Engine.IO polling transport fails (python-engineio reports a request
    that raised as ``None``), so it notices as it would a real outage."""
    real = client.eio._send_request
    until = time.monotonic() + seconds

    def unreachable(*args, **kwargs):
        return None if time.monotonic() < until else real(*args, **kwargs)

    client.eio._send_request = unreachable


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_python_client_recovers_against_the_javascript_server(transport):
    """The same client against the official Node server (socket.io with
    connectionStateRecovery): what it missed arrives once, without offsets."""
    from jsclient import JsServer  # noqa: PLC0415

    rec = Recorder()
    with JsServer() as server:
        c = client_with(rec)
        c.connect(server.url, transports=[transport], auth={"token": "t"})
        try:
            sid = c.get_sid()
            assert c.call("join", "lobby") == "joined"
            server.send("emit", event="named", args=["x", "last is a str"], to="lobby")
            rec.wait(lambda s: ("named", ("x", "last is a str")) in s)
            mark = server.mark()
            if transport == "websocket":
                server.send("drop", id=sid)  # the server loses the websocket
            else:
                # Longer than the server's ping timeout, so it has kept the
                # session when the client comes back.
                cut_network(c, 2.0)
            server.wait_for(lambda r: r["ev"] == "disconnect", "the drop", start=mark)
            server.send("emit", event="chat", args=["missed"], to="lobby")
            seen = rec.wait(lambda s: ("connect", sid, True) in s and ("chat", ("missed",)) in s)
            assert [e for e in seen if e[0] != "connect"] == [
                ("named", ("x", "last is a str")),
                ("chat", ("missed",)),
            ]
            back = server.wait_for(lambda r: r["ev"] == "connection" and r["recovered"], start=mark)
            assert back["id"] == sid
        finally:
            c.disconnect()


def test_a_client_namespace_class_sees_no_offsets():
    got = []

    class Lobby(socketio.ClientNamespace):
        def on_chat(self, text, extra):  # fixed parameters
            got.append((text, extra))

    sio = socketio.Server(async_mode="threading")
    sio.enable_connection_state_recovery()
    with wsgi_server(sio) as url:
        c = socketio.Client()
        c.register_namespace(Lobby("/"))
        c.connect(url, transports=["websocket"])
        try:
            sio.emit("chat", ("hello", "world"))
            deadline = time.monotonic() + 10
            while not got and time.monotonic() < deadline:
                time.sleep(0.02)
            assert got == [("hello", "world")]
        finally:
            c.disconnect()


def test_an_async_client_recovers_against_the_javascript_server():
    from jsclient import JsServer  # noqa: PLC0415

    async def scenario(server):
        got = []
        c = socketio.AsyncClient(
            reconnection_delay=0.3, reconnection_delay_max=0.3, randomization_factor=0
        )

        @c.on("*")
        async def any_event(event, *args):
            got.append((event, args))

        await c.connect(server.url, transports=["websocket"])
        sid = c.get_sid()
        assert await c.call("join", "lobby") == "joined"
        # The JavaScript server recovers only a client that holds an offset.
        server.send("emit", event="chat", args=["before"], to="lobby")
        for _ in range(200):
            if got:
                break
            await asyncio.sleep(0.02)
        mark = server.mark()
        server.send("drop", id=sid)
        await asyncio.to_thread(server.wait_for, lambda r: r["ev"] == "disconnect", start=mark)
        server.send("emit", event="chat", args=["missed"], to="lobby")
        for _ in range(200):
            if ("chat", ("missed",)) in got and c.is_recovered():
                break
            await asyncio.sleep(0.05)
        assert c.get_sid() == sid and c.is_recovered()
        assert got == [("chat", ("before",)), ("chat", ("missed",))]
        await c.disconnect()

    with JsServer() as server:
        asyncio.run(scenario(server))

"""History and connection state recovery where people serve python-socketio:
Flask-SocketIO (``SocketIO(app)``, with ``flask_socketio.emit``/``send``
inside handlers), an ASGI app under uvicorn, and FastAPI mounting it. Each
with the official JavaScript client over a real socket."""

import asyncio
import contextlib
import socket
import threading
import time

import fastapi
import flask
import flask_socketio
import pytest
import requests
import socketio
import uvicorn
from jsclient import JsClient
from werkzeug.serving import make_server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recovers(c, url, server_emit, path=None):
    """The client joins "lobby", drops, misses two events, and comes back
    recovered with both, in order."""
    first = c.connect(url, delay=300, path=path)
    assert c.emit_with_ack("join", "lobby") == ["joined"]
    start = c.drop()
    server_emit("missed 1")
    server_emit("missed 2")
    back = c.wait_connect(start)
    assert back["recovered"] is True and back["id"] == first["id"]
    got = [args[0] for name, args in c.events(start) if name == "chat"]
    assert got == ["missed 1", "missed 2"]


# ---- Flask-SocketIO --------------------------------------------------------


def test_flask_socketio_records_its_emits_and_recovers():
    app = flask.Flask(__name__)
    sock = flask_socketio.SocketIO(app, async_mode="threading")
    server = sock.server  # the python-socketio Server that Flask-SocketIO runs
    server.enable_history("lobby")
    server.enable_connection_state_recovery()

    @sock.on("join")
    def join(room):
        flask_socketio.join_room(room)
        return "joined"

    @sock.on("say")
    def say(text):
        flask_socketio.emit("chat", text, to="lobby")  # inside a handler
        flask_socketio.send(text.upper(), to="lobby")  # the "message" event

    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_port}"
    try:
        with JsClient() as c:
            recovers(c, url, lambda text: sock.emit("chat", text, to="lobby"))
            c.emit_with_ack("say", "hi")  # no ack: it returns after the emits
            history = [(e["event"], e["data"]) for e in server.get_history("lobby")]
            assert history[-2:] == [("chat", "hi"), ("message", "HI")]
            assert history[:2] == [("chat", "missed 1"), ("chat", "missed 2")]
    finally:
        http.shutdown()


# ---- ASGI under uvicorn, and FastAPI mounting it ---------------------------


class Uvicorn:
    """An ASGI app served by uvicorn on a loopback port, in its own thread
    (uvicorn runs its own event loop there)."""

    def __init__(self, app):
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                pytest.fail("uvicorn did not start")
            time.sleep(0.02)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.server.should_exit = True
        self.thread.join(10)


def async_server():
    sio = socketio.AsyncServer(async_mode="asgi")
    loop = {}

    @sio.on("join")
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return "joined"

    async def startup():
        loop["loop"] = asyncio.get_running_loop()
        await sio.enable_history("lobby")
        await sio.enable_connection_state_recovery()

    def emit_from_test(text):
        fut = asyncio.run_coroutine_threadsafe(sio.emit("chat", text, to="lobby"), loop["loop"])
        fut.result(10)

    def history():
        fut = asyncio.run_coroutine_threadsafe(sio.get_history("lobby"), loop["loop"])
        return [(e["event"], e["data"]) for e in fut.result(10)]

    return sio, startup, emit_from_test, history


def test_an_asgi_app_under_uvicorn_records_and_recovers():
    sio, startup, emit, history = async_server()
    server = Uvicorn(socketio.ASGIApp(sio, on_startup=startup))
    try:
        with JsClient() as c:
            recovers(c, server.url, emit)
        assert history() == [("chat", "missed 1"), ("chat", "missed 2")]
    finally:
        server.close()


def test_fastapi_mounting_the_socketio_app_records_and_recovers():
    sio, startup, emit, history = async_server()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await startup()  # a mounted app gets no lifespan events of its own
        yield

    api = fastapi.FastAPI(lifespan=lifespan)

    @api.get("/history/{room}")
    async def room_history(room: str):
        return await sio.get_history(room)

    # Starlette hands a mounted app the whole path: the Socket.IO path
    # includes the mount point.
    api.mount("/realtime", socketio.ASGIApp(sio, socketio_path="realtime/socket.io"))
    server = Uvicorn(api)
    try:
        with JsClient() as c:
            recovers(c, server.url, emit, path="/realtime/socket.io")
        body = requests.get(server.url + "/history/lobby", timeout=10).json()
        assert [e["data"] for e in body] == ["missed 1", "missed 2"]
        assert history() == [("chat", "missed 1"), ("chat", "missed 2")]
    finally:
        server.close()

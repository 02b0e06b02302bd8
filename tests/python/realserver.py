"""Real python-socketio servers on loopback ports, for end-to-end tests and
the demo: a threading-mode Server under werkzeug's WSGI server (websocket via
simple-websocket) and an AsyncServer under aiohttp."""

import contextlib
import logging
import threading

import socketio
from werkzeug.serving import make_server

# werkzeug logs every request, and a 400 when a websocket closes.
logging.getLogger("werkzeug").setLevel(logging.ERROR)


@contextlib.contextmanager
def wsgi_server(sio: socketio.Server):
    """Serve ``sio`` on 127.0.0.1 (a free port) in a thread; yields its URL."""
    server = make_server("127.0.0.1", 0, socketio.WSGIApp(sio), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@contextlib.asynccontextmanager
async def aiohttp_server(sio: socketio.AsyncServer):
    """Serve ``sio`` on 127.0.0.1 (a free port) in this event loop."""
    from aiohttp import web  # noqa: PLC0415

    app = web.Application()
    sio.attach(app)
    # A handler still waiting for a client that is gone must not hold the
    # shutdown for a minute (what is left is cancelled).
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class Inbox:
    """Collects every event a client receives, in order (thread-safe)."""

    def __init__(self):
        self.events = []
        self._cond = threading.Condition()

    def attach(self, client):
        @client.on("*")
        def catch_all(event, *args):
            with self._cond:
                self.events.append((event, args[0] if len(args) == 1 else args))
                self._cond.notify_all()

    def wait_for(self, count, timeout=10.0):
        """Wait until at least ``count`` events arrived; returns them all."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.events) >= count, timeout)
        assert ok, f"expected {count} events, got {self.events}"
        return list(self.events)


class AsyncInbox:
    """Like :class:`Inbox`, for AsyncClient (same event loop)."""

    def __init__(self):
        import asyncio  # noqa: PLC0415

        self.events = []
        self._changed = asyncio.Event()

    def attach(self, client):
        @client.on("*")
        async def catch_all(event, *args):
            self.events.append((event, args[0] if len(args) == 1 else args))
            self._changed.set()

    async def wait_for(self, count, timeout=10.0):
        import asyncio  # noqa: PLC0415

        async def until():
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(f"expected {count} events, got {self.events}") from None
        return list(self.events)


class Running:
    """A server running on loopback, driven from the test's thread alike for
    both kinds: ``do(name, *args)`` calls a server method (a coroutine of an
    AsyncServer is run in its loop) and returns its result."""

    def __init__(self, sio, url, loop=None):
        self.sio = sio
        self.url = url
        self.loop = loop

    def do(self, name, *args, **kwargs):
        return self.run(lambda: getattr(self.sio, name)(*args, **kwargs))

    def run(self, fn):
        """Run ``fn()`` (in the server's loop for an AsyncServer, awaiting
        what it returns)."""
        if self.loop is None:
            return fn()
        import asyncio  # noqa: PLC0415
        import inspect  # noqa: PLC0415

        async def call():
            result = fn()
            return await result if inspect.isawaitable(result) else result

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(10)


@contextlib.contextmanager
def running(sio):
    """Serve ``sio`` (a Server under werkzeug, an AsyncServer under aiohttp
    in a loop of its own thread); yields a :class:`Running`."""
    if not isinstance(sio, socketio.AsyncServer):
        with wsgi_server(sio) as url:
            yield Running(sio, url)
        return
    import asyncio  # noqa: PLC0415

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = None
    url = None

    async def serve():
        nonlocal stop, url
        stop = asyncio.Event()
        async with aiohttp_server(sio) as u:
            url = u
            ready.set()
            await stop.wait()
            # Close every client first, without waiting for it to fetch the
            # close: a long-poll still open would hold the HTTP server's
            # shutdown (for 60 s).
            for sock in list(sio.eio.sockets.values()):
                await sock.close(wait=False)

    def main():
        loop.run_until_complete(serve())
        # What is still pending (engine.io's ping tasks) ends with the loop.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(10), "the aiohttp server did not start"
    try:
        yield Running(sio, url, loop)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
        assert not thread.is_alive(), "the aiohttp server did not stop"
        loop.close()


def joining_server(kind):
    """A bare server of ``kind`` ("threading" or "asyncio", under aiohttp)
    whose "join" handler joins the room it is given and acks "joined": what
    the storm clients (tests/js/storm.js) expect."""
    if kind == "threading":
        sio = socketio.Server(async_mode="threading")

        @sio.on("join")
        def join(sid, room):
            sio.enter_room(sid, room)
            return "joined"

        return sio
    asio = socketio.AsyncServer(async_mode="aiohttp")

    @asio.on("join")
    async def join_async(sid, room):
        await asio.enter_room(sid, room)
        return "joined"

    return asio

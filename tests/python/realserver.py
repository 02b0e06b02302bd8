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
    runner = web.AppRunner(app, handle_signals=False)
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

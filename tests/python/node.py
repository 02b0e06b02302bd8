"""One python-socketio node for the multi-node tests, in its own process.

Usage: python node.py KIND QUEUE_URL [--serve] [--port=N] [--recovery] [--maxlen=N]
[--max-entries=N]
KIND is redis, async-redis, kombu, streams or async-streams (the
RedisStreamsManager twins), or durable / async-durable (one node without a
queue whose store is kept under the directory given in place of the
QUEUE_URL); --recovery turns connection state recovery on,
--maxlen bounds a streams node's stream, --max-entries its rooms.
The node enables history for a few
rooms at start-up (as an app would, from its config), optionally serves
Socket.IO on a loopback port, prints ("ready", port) and then answers
commands, one Python literal per line on stdin, with one literal per line
on stdout: ("emit", event, data, to, namespace) (answered once a streams
node's emit is in the stream), ("history", room,
namespace), ("ai", room, ids, tokens, rate) (an asyncio node streams one
answer per id, ``tokens`` appends each at ``rate`` per second, fragments
"<k>@<wall-clock ms> "; answers {id: text}), ("call", method, args,
kwargs) (any server method: its result, or ("error", exception class
name)), ("connected", sid, namespace) (whether the sid is connected here),
("stats",) (a streams node's ``queue_stats()``), ("quit",).
"""

import ast
import asyncio
import sys
import threading
import time

import socketio
import socketio_history

ROOMS = [("/", "a"), ("/", "b"), ("/chat", "a"), ("/", "probe")]
ROOM_OPTIONS = {}  # --max-entries=N


def reply(value):
    sys.stdout.write(repr(value) + "\n")
    sys.stdout.flush()


def flushed(manager):
    """A streams node's emit is in the stream when the command answers."""
    if hasattr(manager, "flush"):
        manager.flush()


async def flushed_async(manager):
    if hasattr(manager, "flush"):
        await manager.flush()


def history(entries):
    return [(e["event"], e["data"], e["seq"]) for e in entries]


def sync_node(manager, serve, recovery=False, store=None, port=0):
    sio = socketio.Server(client_manager=manager, async_mode="threading", ping_interval=1)
    if store is not None:
        sio.history = store
    if recovery:
        sio.enable_connection_state_recovery()
    for ns, room in ROOMS:
        sio.enable_history(room, namespace=ns, **ROOM_OPTIONS)

    @sio.on("join")
    def join(sid, room):
        sio.enter_room(sid, room)
        return sio.replay_history(sid, room)

    @sio.on("join_only")
    def join_only(sid, room):
        sio.enter_room(sid, room)
        return "joined"

    served = None
    if serve:
        from werkzeug.serving import make_server  # noqa: PLC0415

        server = make_server("127.0.0.1", port, socketio.WSGIApp(sio), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        served = server.server_port
    reply(("ready", served))
    for line in sys.stdin:
        cmd = ast.literal_eval(line)
        if cmd[0] == "quit":
            break
        reply(sync_command(sio, cmd))


def sync_command(sio, cmd):
    """A threading node's answer to one command."""
    name, args = cmd[0], cmd[1:]

    def emit(event, data, to, ns):
        sio.emit(event, data, to=to, namespace=ns)
        flushed(sio.manager)
        return "ok"

    def stats():  # a streams node's only: looked up when asked
        return sio.manager.queue_stats()

    def call(method, call_args, kwargs):
        try:
            return getattr(sio, method)(*call_args, **kwargs)
        except Exception as e:
            return ("error", type(e).__name__)

    commands = {
        "emit": emit,
        "history": lambda room, ns: history(sio.get_history(room, namespace=ns)),
        "page": lambda room, ns, query: sio.get_history_page(room, namespace=ns, **query),
        "connected": sio.manager.is_connected,
        "stats": stats,
        "call": call,
    }
    return commands[name](*args)


async def stream_answers(sio, room, ids, tokens, rate):
    """AI answers streamed at once: each id's first token starts a fraction
    of a period after the last id's, so the appends spread evenly."""
    loop = asyncio.get_running_loop()
    texts = {}

    async def one(mid, delay):
        await asyncio.sleep(delay)
        await sio.create_message(room, "answer", "", message_id=mid)
        start, text = loop.time(), ""
        for k in range(tokens):
            fragment = f"{k}@{time.time() * 1000:.3f} "
            await sio.append_message(room, mid, fragment, final=k == tokens - 1)
            text += fragment
            await asyncio.sleep(max(0.0, start + (k + 1) / rate - loop.time()))
        texts[mid] = text

    await asyncio.gather(*(one(m, i / len(ids) / rate) for i, m in enumerate(ids)))
    return texts


async def serve_aiohttp(sio, port):
    """Serve ``sio`` on a loopback port (0: a free one); returns the port."""
    from aiohttp import web  # noqa: PLC0415

    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner.addresses[0][1]


async def async_node(manager, store=None, serve=False, recovery=False, port=0):
    sio = socketio.AsyncServer(client_manager=manager, async_mode="aiohttp", ping_interval=1)
    if store is not None:
        sio.history = store
    if recovery:
        await sio.enable_connection_state_recovery()
    for ns, room in ROOMS:
        await sio.enable_history(room, namespace=ns, **ROOM_OPTIONS)

    @sio.on("join")
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return await sio.replay_history(sid, room)

    @sio.on("join_only")
    async def join_only(sid, room):
        await sio.enter_room(sid, room)
        return "joined"

    reply(("ready", await serve_aiohttp(sio, port) if serve else None))
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        cmd = ast.literal_eval(line) if line else ("quit",)
        if cmd[0] == "quit":
            break
        reply(await async_command(sio, cmd))


async def async_command(sio, cmd):
    """An asyncio node's answer to one command."""
    name, args = cmd[0], cmd[1:]

    async def emit(event, data, to, ns):
        await sio.emit(event, data, to=to, namespace=ns)
        await flushed_async(sio.manager)
        return "ok"

    async def entries(room, ns):
        return history(await sio.get_history(room, namespace=ns))

    async def connected(sid, ns):
        return sio.manager.is_connected(sid, ns)

    async def stats():
        return sio.manager.queue_stats()

    async def call(method, call_args, kwargs):
        try:
            return await getattr(sio, method)(*call_args, **kwargs)
        except Exception as e:
            return ("error", type(e).__name__)

    commands = {
        "emit": emit,
        "ai": lambda *a: stream_answers(sio, *a),
        "history": entries,
        "page": lambda room, ns, query: sio.get_history_page(room, namespace=ns, **query),
        "connected": connected,
        "stats": stats,
        "call": call,
    }
    return await commands[name](*args)


def main():
    kind, url = sys.argv[1], sys.argv[2]
    serve = "--serve" in sys.argv[3:]
    recovery = "--recovery" in sys.argv[3:]
    maxlen = [int(a.split("=", 1)[1]) for a in sys.argv[3:] if a.startswith("--maxlen=")]
    for a in sys.argv[3:]:
        if a.startswith("--max-entries="):
            ROOM_OPTIONS["max_entries"] = int(a.split("=", 1)[1])
    port = next((int(a.split("=", 1)[1]) for a in sys.argv[3:] if a.startswith("--port=")), 0)
    options = {"maxlen": maxlen[0]} if maxlen else {}
    if kind == "streams":
        manager = socketio_history.RedisStreamsManager(url, **options)
        sync_node(manager, serve, recovery, port=port)
    elif kind == "async-streams":
        manager = socketio_history.AsyncRedisStreamsManager(url, **options)
        asyncio.run(async_node(manager, None, serve, recovery, port))
    elif kind == "redis":
        sync_node(socketio.RedisManager(url), serve)
    elif kind == "kombu":
        sync_node(socketio.KombuManager(url), serve)
    elif kind == "async-redis":
        asyncio.run(async_node(socketio.AsyncRedisManager(url), None, serve, port=port))
    elif kind == "durable":
        store = socketio_history.HistoryStore(path=url)
        sync_node(socketio.Manager(), serve, recovery, store=store, port=port)
    elif kind == "async-durable":
        store = socketio_history.HistoryStore(path=url)
        asyncio.run(async_node(socketio.AsyncManager(), store, serve, recovery, port))
    else:
        sys.exit(f"unknown node kind {kind!r}")


if __name__ == "__main__":
    main()

"""socketio-history demo: a python-socketio chat room with history.

A real python-socketio server listens on a loopback port; two real clients
chat in a room; then a late joiner connects and receives the room's history
through ``enter_room_with_history``, exactly as the original events were emitted.
Finally the room's stats, and how a reconnecting client resumes from a
cursor. Run it with ``make demo``; it exits by itself.
"""

import importlib.metadata
import logging
import threading

import socketio
import socketio_history  # noqa: F401  (a plain `import socketio` is enough once installed)
from werkzeug.serving import make_server

ROOM = "lobby"
logging.getLogger("werkzeug").setLevel(logging.ERROR)

# ---- the server: an ordinary python-socketio app, plus history ----------

sio = socketio.Server(async_mode="threading", ping_interval=1)
sio.enable_history(ROOM, max_entries=50, retention_seconds=3600)


@sio.on("join")
def join(sid, name):
    # Join and get the room's history (to this client only), in one step.
    sent = sio.enter_room_with_history(sid, ROOM)
    sio.emit("system", f"{name} joined", to=ROOM)
    return sent


@sio.on("say")
def say(sid, name, text):
    sio.emit("chat", (name, text), to=ROOM, skip_sid=sid)  # two arguments


# ---- the clients --------------------------------------------------------


def client(name):
    c = socketio.Client()
    inbox, arrived = [], threading.Condition()

    @c.on("*")
    def on_any(event, *args):
        with arrived:
            inbox.append((event, args))
            arrived.notify_all()

    def wait_for(count):
        with arrived:
            assert arrived.wait_for(lambda: len(inbox) >= count, 10), inbox
        return inbox[:count]

    c.name, c.inbox, c.wait_for = name, inbox, wait_for
    c.connect(url, transports=["polling"], wait_timeout=10)
    return c


def main():
    version = importlib.metadata.version("python-socketio")
    print(f"python-socketio {version} server on {url}, history enabled for room '{ROOM}'\n")
    alice, bob = client("alice"), client("bob")
    alice.call("join", "alice")
    bob.call("join", "bob")
    conversation = [
        (alice, "hi bob!"),
        (bob, "hey alice, did you see the release?"),
        (alice, "yes, history for socket.io rooms"),
        (bob, "late joiners will love it"),
    ]
    for who, text in conversation:
        who.call("say", (who.name, text))
        print(f"  {who.name:>5} says: {text}")
    sio.emit("topic", {"title": "release day", "pinned": True}, to=ROOM)
    print("  server sets the topic\n")

    carol = client("carol")
    replayed = carol.call("join", "carol")
    print(f"carol joins late and receives {replayed} messages of history:")
    for event, args in carol.wait_for(replayed):
        print(f"  {event:>6} {args}")

    stats = sio.get_history_stats(ROOM)
    print(
        f"\nstats: {stats['entries_count']} entries, {stats['bytes']} payload bytes, "
        f"seq {stats['first_seq']}..{stats['last_seq']}, epoch {stats['epoch']}"
    )

    # A client that saw up to seq 3 comes back: it asks for what it missed.
    page = sio.get_history_page(ROOM, since_seq=3, epoch=stats["epoch"])
    missed = [(e["seq"], e["event"]) for e in page["entries"]]
    print(f"resume after seq 3: {missed}, gap={page['gap']}")
    page = sio.get_history_page(ROOM, since_seq=3, epoch="from-another-lifetime")
    print(f"resume with a stale epoch: gap={page['gap']} (the client should resync)")

    for c in (alice, bob, carol):
        c.disconnect()


server = make_server("127.0.0.1", 0, socketio.WSGIApp(sio), threaded=True)
url = f"http://127.0.0.1:{server.server_port}"
thread = threading.Thread(target=server.serve_forever, daemon=True)
thread.start()
try:
    main()
finally:
    server.shutdown()
    thread.join(10)

"""socketio-history in the browser: a chat page served by python-socketio.

Rooms with history (a late joiner gets what was said), connection state
recovery (the page's "Drop connection" button kills the transport: the
messages missed meanwhile arrive on reconnect, under the same id), and an
assistant whose answer is streamed token by token with ``append_message``
(a page that joins mid-answer gets the text so far, then the live tokens),
plus edits and deletes of one's own messages. The server runs as a child
process on a durable store (``--data-dir``, a temporary directory by
default): the page's "Restart the server" button has it hand every client
off (``close_for_restart``) and exit, a new process takes over on the same
port and directory, and every page comes back recovered, history intact.

The page uses the official Socket.IO client, served from the npm package
``socket.io-client`` (``make demo-web`` installs it; no CDN). Run it with
``make demo-web`` or ``python examples/web_demo.py [--port N]``; it prints
its URL and serves until stopped.
"""

import argparse
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import socketio
import socketio_history
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
CLIENT = HERE.parent / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
ROOMS = ["general", "random"]
# The assistant's answer, streamed one token at a time.
ANSWER = (
    "Connection state recovery keeps your session for a while after a drop: "
    "your sid, your rooms and every event you missed come back when you "
    "reconnect, in order, before your connect handler runs."
).split(" ")
# Users may edit and delete their own messages in every room.
GRANTS = {"message_update_own": ["*"], "message_delete_own": ["*"]}
# The exit status of a server process that asks to be started again.
RESTART = 75


def make_app(token_delay=0.08, data_dir=None, restart=None):
    """The demo's server and WSGI app; with ``data_dir`` its store is kept
    there, and ``restart`` (called from a thread) is what the page's
    "Restart the server" button runs."""
    sio = socketio.Server(async_mode="threading", ping_interval=5)
    if data_dir is not None:
        sio.history = socketio_history.HistoryStore(path=data_dir)
    sio.enable_connection_state_recovery(max_disconnection_duration=120)
    for room in ROOMS:
        sio.enable_history(room, max_entries=200)

    @sio.event
    def connect(sid, environ, auth):
        name = (auth or {}).get("name") if isinstance(auth, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            name = "guest-" + secrets.token_hex(2)
        if not sio.is_recovered(sid):
            sio.save_session(sid, {"name": name})

    @sio.on("join")
    def join(sid, room):
        if room not in ROOMS:
            return {"error": "no such room"}
        # Everything said before, each message once in its latest state,
        # then live traffic: nothing overtakes the replay.
        return {"replayed": sio.enter_room_with_history(sid, room)}

    @sio.on("leave")
    def leave(sid, room):
        sio.leave_room(sid, room)

    def user(sid):
        return sio.get_session(sid)["name"]

    @sio.on("chat")
    def chat(sid, room, text):
        if room not in ROOMS or not isinstance(text, str) or not text.strip():
            return {"error": "nothing to send"}
        mid = "m-" + secrets.token_hex(6)
        data = {"id": mid, "user": user(sid), "text": text[:500]}
        sio.create_message(room, "chat", data, message_id=mid, owner=user(sid))
        return {"id": mid}

    @sio.on("edit")
    def edit(sid, room, mid, text):
        try:
            old = sio.get_message(room, mid)["data"]
            new = {**old, "text": str(text)[:500], "edited": True}
            sio.update_message(room, mid, data=new, actor=user(sid), grants=GRANTS)
        except (LookupError, ValueError, PermissionError, TypeError) as e:
            return {"error": str(e)}
        return {"ok": True}

    @sio.on("delete")
    def delete(sid, room, mid):
        try:
            sio.delete_message(room, mid, actor=user(sid), grants=GRANTS)
        except (LookupError, ValueError, PermissionError, TypeError) as e:
            return {"error": str(e)}
        return {"ok": True}

    @sio.on("restart")
    def restart_server(sid):
        if restart is None:
            return {"error": "this server cannot restart itself"}
        threading.Thread(target=restart, daemon=True).start()
        return {"ok": True}

    @sio.on("ask")
    def ask(sid, room):
        if room not in ROOMS:
            return {"error": "no such room"}
        # Appends grow a string, so the answer's data is its text; its event
        # name carries its id, so a page that gets it replayed (a bare
        # string) still knows which appends belong to it.
        mid = "a-" + secrets.token_hex(6)
        sio.create_message(room, "answer:" + mid, "", message_id=mid, owner="assistant")
        sio.start_background_task(stream_answer, room, mid)
        return {"id": mid}

    def stream_answer(room, mid):
        for i, token in enumerate(ANSWER):
            sio.sleep(token_delay)
            sio.append_message(room, mid, ("" if i == 0 else " ") + token)
        sio.append_message(room, mid, "", final=True)

    static = {
        "/": str(HERE / "web" / "index.html"),
        "/app.js": str(HERE / "web" / "app.js"),
        "/socket.io.min.js": str(CLIENT),
    }
    return sio, socketio.WSGIApp(sio, static_files=static)


def serve(args):
    """One server process: serve on ``args.port`` until asked to restart."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    restarting = threading.Event()

    def restart():
        restarting.set()
        server.shutdown()  # serve_forever returns in the main thread

    sio, app = make_app(args.token_delay, args.data_dir, restart)
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"listening {server.server_port}", flush=True)
    server.serve_forever()
    if restarting.is_set():
        # No new connections, every client handed off (its session kept in
        # the store, which is synced and closed), then out: the supervisor
        # starts the next process on the same port and directory.
        server.server_close()
        sio.close_for_restart()
        os._exit(RESTART)


def supervise(args):
    """Run the server as a child process, and again whenever it exits to be
    restarted; print the demo's URL once."""
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="sioh-web-demo-")
    port, child = args.port, None

    def start():
        cmd = [sys.executable, __file__, "--serve", "--host", args.host, "--port", str(port),
               "--token-delay", str(args.token_delay), "--data-dir", data_dir]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        return proc, int(proc.stdout.readline().split()[1])

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        child, port = start()
        print(f"socketio-history web demo: http://{args.host}:{port}/", flush=True)
        while child.wait() == RESTART:
            child.stdout.close()
            child, _ = start()
    except KeyboardInterrupt:
        pass
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait(10)
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free one")
    parser.add_argument(
        "--token-delay", type=float, default=0.08, help="seconds between streamed tokens"
    )
    parser.add_argument(
        "--data-dir", help="where the history store is kept (default: a temporary directory)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not CLIENT.is_file():
        sys.exit(f"{CLIENT} is missing: run `make demo-web` (it runs npm ci)")
    if args.serve:
        serve(args)
    else:
        supervise(args)


if __name__ == "__main__":
    main()

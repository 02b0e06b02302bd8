"""socketio-history demo: an assistant streams its answer into a chat room.

A real python-socketio server listens on a loopback port. Alice asks a
question; the assistant answers token by token with ``append_message`` (one
mutable message, many appends). Bob joins in the middle of the answer:
``enter_room_with_history`` gives him the text so far, then he receives the
remaining appends live, and both end with the same text. Then Alice edits
her question and deletes a message of hers: clients apply
``history:update`` / ``history:delete``, and the room's history shows the
current state (the deleted text is gone from every read). Run it with
``make demo``; it exits by itself.
"""

import logging
import threading

import socketio
import socketio_history  # noqa: F401  (a plain `import socketio` is enough once installed)
from werkzeug.serving import make_server

ROOM = "help"
ANSWER = ["Connection ", "state ", "recovery ", "replays ", "what ", "you ", "missed."]
logging.getLogger("werkzeug").setLevel(logging.ERROR)

# ---- the server ----------------------------------------------------------

sio = socketio.Server(async_mode="threading", ping_interval=1)
sio.enable_history(ROOM, max_entries=500)


@sio.on("join")
def join(sid, name):
    sio.save_session(sid, {"user": name})
    # Each message once, in its latest state; then the live appends.
    return sio.enter_room_with_history(sid, ROOM)


@sio.on("ask")
def ask(sid, mid, text):
    user = sio.get_session(sid)["user"]
    sio.create_message(
        ROOM, "chat", {"id": mid, "user": user, "text": text}, message_id=mid, owner=user
    )


# A user may edit or delete only their own messages: the actor comes from the
# server's session, never from the client's payload.
GRANTS = {"message_update_own": [ROOM], "message_delete_own": [ROOM]}


@sio.on("edit")
def edit(sid, mid, text):
    user = sio.get_session(sid)["user"]
    data = {"id": mid, "user": user, "text": text}
    sio.update_message(ROOM, mid, data=data, actor=user, grants=GRANTS)


@sio.on("delete")
def delete(sid, mid):
    try:
        sio.delete_message(ROOM, mid, actor=sio.get_session(sid)["user"], grants=GRANTS)
        return "deleted"
    except PermissionError as e:
        return f"refused: {e}"


# ---- the clients: a screen that applies what arrives ---------------------


class Screen:
    """What one user sees: chat messages by id, and the assistant's answer."""

    def __init__(self, name):
        self.name = name
        self.chat = {}  # id -> text
        self.answer = None
        self.changed = threading.Condition()
        self.client = c = socketio.Client()

        @c.on("chat")
        def on_chat(msg):
            self._update(lambda: self.chat.__setitem__(msg["id"], f"{msg['user']}: {msg['text']}"))

        @c.on("answer")
        def on_answer(text):  # a new answer, or the replayed text so far
            self._update(lambda: setattr(self, "answer", text))

        @c.on("history:append")
        def on_append(op):
            self._update(lambda: setattr(self, "answer", (self.answer or "") + op["fragment"]))

        @c.on("history:update")
        def on_update(op):
            msg = op["data"]
            self._update(lambda: self.chat.__setitem__(msg["id"], f"{msg['user']}: {msg['text']}"))

        @c.on("history:delete")
        def on_delete(op):
            self._update(lambda: self.chat.pop(op["message_id"], None))

        c.connect(url, transports=["polling"], wait_timeout=10)

    def _update(self, change):
        with self.changed:
            change()
            self.changed.notify_all()

    def wait(self, predicate):
        with self.changed:
            assert self.changed.wait_for(predicate, 10), (self.chat, self.answer)

    def show(self):
        lines = [f"    {text}" for text in self.chat.values()]
        lines.append(f"    assistant: {self.answer}")
        return "\n".join(lines)


def stream_answer(until=None, start=0):
    """Stream tokens of the answer (up to ``until``), one append each."""
    for i, token in enumerate(ANSWER[start:until], start):
        sio.append_message(ROOM, "answer-1", token, final=(i == len(ANSWER) - 1))
        print(f"  assistant streams {token!r}")


def main():
    alice = Screen("alice")
    alice.client.call("join", "alice")
    alice.client.call("ask", ("q1", "how do I get missed events back?"))
    alice.client.call("ask", ("q2", "(sorry, typo in my question)"))
    alice.wait(lambda: len(alice.chat) == 2)
    print("alice asks; the assistant starts answering")
    sio.create_message(ROOM, "answer", "", message_id="answer-1", owner="assistant")
    stream_answer(until=3)
    alice.wait(lambda: alice.answer == "".join(ANSWER[:3]))

    bob = Screen("bob")
    replayed = bob.client.call("join", "bob")
    bob.wait(lambda: bob.answer is not None and len(bob.chat) == 2)
    print(
        f"\nbob joins mid-answer: {replayed} messages replayed, the answer so far is "
        f"{bob.answer!r}\n"
    )
    stream_answer(start=3)
    final = "".join(ANSWER)
    for screen in (alice, bob):
        screen.wait(lambda s=screen: s.answer == final)
    print(f"\nboth see the whole answer: {final!r}")

    alice.client.call("edit", ("q1", "how do clients get missed events back?"))
    print(
        "alice edits her question, and deletes her second message:",
        alice.client.call("delete", "q2"),
    )
    print("bob tries to delete alice's question:", bob.client.call("delete", "q1"))
    for screen in (alice, bob):
        screen.wait(lambda s=screen: list(s.chat) == ["q1"] and "clients" in s.chat["q1"])
        print(f"\n{screen.name}'s screen:\n{screen.show()}")

    latest = sio.get_history(ROOM, view="latest")
    print("\nthe room's latest view (what a late joiner gets):")
    for e in latest:
        state = "deleted" if e.get("deleted") else f"v{e['version']}"
        print(f"  seq {e['seq']:>2} {e['event']:>6} {state:>7} {e['data']!r}")
    log = sio.get_history(ROOM)
    redacted = sum(e["redacted"] for e in log)
    print(f"the log holds {len(log)} operations; {redacted} of the deleted message's are redacted")
    answer = sio.get_message(ROOM, "answer-1")
    print(
        f"answer-1: version {answer['version']}, {answer['appends']} appends, "
        f"final={answer['final']}"
    )

    for screen in (alice, bob):
        screen.client.disconnect()


server = make_server("127.0.0.1", 0, socketio.WSGIApp(sio), threaded=True)
url = f"http://127.0.0.1:{server.server_port}"
thread = threading.Thread(target=server.serve_forever, daemon=True)
thread.start()
try:
    main()
finally:
    server.shutdown()
    thread.join(10)

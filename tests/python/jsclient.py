"""The official Socket.IO client and server (socket.io-client and socket.io
from npm, pinned by package-lock.json) under Node, driven from Python
through tests/js/driver.js and tests/js/server.js: one JSON command per line
in, one JSON report per line out."""

import base64
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

from conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "js" / "driver.js"
SERVER = ROOT / "tests" / "js" / "server.js"
STORM = ROOT / "tests" / "js" / "storm.js"


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class _Node:
    """A Node process speaking JSON lines; every report is kept in
    ``reports``, in arrival order."""

    script = DRIVER
    package = "socket.io-client"
    ready = "ready"

    def __init__(self):
        node = shutil.which("node")
        if node is None:
            skip_or_fail("node is not installed")
        if not (ROOT / "node_modules" / self.package).is_dir():
            skip_or_fail(f"{self.package} is not installed (make test runs npm ci)")
        self.proc = subprocess.Popen(
            [node, str(self.script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.reports = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.started = self.wait_for(lambda r: r["ev"] == self.ready, what="the Node process")

    def _read(self):
        for line in self.proc.stdout:
            report = json.loads(line)
            if report["ev"] == "event":
                report["args"] = _decode(report["args"])
            with self._cond:
                self.reports.append(report)
                self._cond.notify_all()

    def send(self, cmd, **kw):
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()

    def wait_for(self, pred, what="a report", timeout=10.0, start=0):
        """The first report from index ``start`` on for which ``pred`` holds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for r in self.reports[start:]:
                    if pred(r):
                        return r
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.reports}")
                self._cond.wait(left)

    def mark(self):
        """An index to wait for reports after."""
        with self._cond:
            return len(self.reports)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("exit")
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        # The process is gone: its stdout ends, and so does the reader. Only
        # then close it (closing it under the reader fails the reader).
        self._reader.join(5)
        self.proc.stdin.close()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class JsServer(_Node):
    """The official socket.io server with connection state recovery on."""

    script = SERVER
    package = "socket.io"
    ready = "listening"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.started['port']}"


class JsClient(_Node):
    """One socket.io-client socket in a Node process; ``events()`` lists the
    events it received."""

    # ---- what a test does ----

    def connect(
        self, url, namespace="/", transports=("websocket",), auth=None, delay=100, path=None
    ):
        """Connect; ``delay`` (ms) is how long the client waits before each
        reconnection attempt; ``path`` is the server's Socket.IO path (when it
        is mounted elsewhere than /socket.io)."""
        start = self.mark()
        kw = {"url": url, "namespace": namespace, "transports": list(transports), "delay": delay}
        if auth is not None:
            kw["auth"] = auth
        if path is not None:
            kw["path"] = path
        self.send("connect", **kw)
        return self.wait_for(lambda r: r["ev"] == "connect", "connect", start=start)

    def drop(self, hold=False):
        """The transport dies; the client's own reconnection brings it back.
        With ``hold`` it reconnects only once released (``wait_connect``
        does): what the test does meanwhile cannot race the client's
        reconnection delay, however loaded the machine."""
        start = self.mark()
        self.send("drop", hold=hold)
        self.wait_for(lambda r: r["ev"] == "disconnect", "the drop", start=start)
        self._held = hold
        return start

    def hold(self):
        """While connected: when the transport dies, do not reconnect until
        released (``wait_connect`` releases)."""
        start = self.mark()
        self.send("hold")
        self.wait_for(lambda r: r["ev"] == "held", "the hold", start=start)
        self._held = True

    def release(self):
        """Let a held client reconnect."""
        self._held = False
        self.send("release")

    def wait_connect(self, start):
        if getattr(self, "_held", False):
            self.release()
        return self.wait_for(lambda r: r["ev"] == "connect", "the reconnect", start=start)

    def state(self):
        start = self.mark()
        self.send("state")
        return self.wait_for(lambda r: r["ev"] == "state", "state", start=start)

    def emit_with_ack(self, event, *args):
        start = self.mark()
        self.send("emit", event=event, args=list(args), ack=True)
        return self.wait_for(lambda r: r["ev"] == "ack", "the ack", start=start)["args"]

    def events(self, start=0, end=None):
        """``(name, args)`` of the events received between two marks."""
        return [(r["name"], r["args"]) for r in self.reports[start:end] if r["ev"] == "event"]


class JsStorm(_Node):
    """Many socket.io-client sockets in one Node process (tests/js/storm.js),
    for reconnect storms."""

    script = STORM

    def _call(self, cmd, ev, timeout, **kw):
        start = self.mark()
        self.send(cmd, **kw)
        return self.wait_for(lambda r: r["ev"] == ev, cmd, timeout=timeout, start=start)

    def open(self, url, n, room, timeout=60.0, deflate=True):
        """Connect ``n`` sockets, each joined to ``room``; how long it took
        (ms). ``deflate=False``: they do not offer permessage-deflate."""
        return self._call("open", "opened", timeout, url=url, n=n, room=room, deflate=deflate)["ms"]

    def drop(self, timeout=60.0):
        """Every transport dies at once; no reconnection until ``reconnect``."""
        self._call("drop", "dropped", timeout)

    def reconnect(self, timeout=60.0):
        """Every socket reconnects at once; ms until the last is connected."""
        return self._call("reconnect", "reconnected", timeout)["ms"]

    def check(self, expect, timeout=30.0):
        """Counts of sockets recovered, with their first id, and that got
        exactly ``expect`` since the drop."""
        return self._call("check", "checked", timeout, expect=expect)

    def reset(self, timeout=30.0):
        """Forget what every socket received."""
        self._call("reset", "reset", timeout)

    def latency(self, timeout=30.0):
        """Per-socket counts of timestamped events (first argument with
        ``t``, wall-clock ms) and their delivery latency (p50, p99, max)."""
        return self._call("latency", "latency", timeout)

    def texts(self, expect, timeout=60.0):
        """Sockets whose texts built from ``history:append`` equal ``expect``
        ({message_id: text}), and the append-to-delivery latency."""
        return self._call("texts", "texts", timeout, expect=expect)

"""A cluster for the multi-node tests: a real redis-server (started on a
free loopback port, restartable, with or without persistence) and node
processes (``node.py``) driven line by line. The fixtures are imported by
``conftest.py``."""

import ast
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import skip_or_fail

NODE = Path(__file__).with_name("node.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary():
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed (make test installs it as root)")
    return binary


def wait_for_ping(port, proc, what):
    """Until the Redis (or Sentinel) on ``port`` answers PING."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"{what} did not start")
        time.sleep(0.05)


class RedisServer:
    """A redis-server process on a free loopback port. ``persist`` turns on
    the append-only file (fsync on every write), so a restart keeps what
    was written; ``replica_of`` (a port) makes it that server's replica."""

    def __init__(self, workdir, persist=False, replica_of=None):
        self.binary = redis_binary()
        self.port = free_port()
        self.workdir = workdir
        self.persist = persist
        self.replica_of = replica_of
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        aof = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else []
        replica = ["--replicaof", "127.0.0.1", str(self.replica_of)] if self.replica_of else []
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + (aof or ["--appendonly", "no"])
            + replica
            + ["--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_ping(self.port, self.proc, "redis-server")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def kill(self):
        """SIGKILL: it dies without saving or telling anyone."""
        self.proc.kill()
        self.proc.wait(10)

    def restart(self):
        self.stop()
        self.start()


class Sentinel:
    """A redis-server in Sentinel mode on a free loopback port, the only
    one watching the Redis on ``master_port`` as ``name``: it fails over
    to a replica once the master has not answered for ``down_ms``."""

    def __init__(self, workdir, master_port, name="main", down_ms=500):
        self.port = free_port()
        self.name = name
        conf = workdir / "sentinel.conf"  # Sentinel rewrites it as it learns
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {workdir}\n"
            f"sentinel monitor {name} 127.0.0.1 {master_port} 1\n"
            f"sentinel down-after-milliseconds {name} {down_ms}\n"
            f"sentinel failover-timeout {name} 10000\n"
        )
        self.proc = subprocess.Popen(
            [redis_binary(), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_ping(self.port, self.proc, "redis-server --sentinel")

    @property
    def url(self):
        """The URL python-socketio's managers take for this Sentinel."""
        return f"redis+sentinel://127.0.0.1:{self.port}/0/{self.name}"

    def call(self, *command):
        import redis  # noqa: PLC0415 (the wheel's smoke venvs have no redis-py)

        with redis.Redis(port=self.port) as r:
            return r.execute_command(*command)

    def master_port(self):
        return int(self.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Switch:
    """A loopback TCP proxy whose backend can be switched: a client that
    reconnects lands on another node. ``sever()`` cuts the connections open
    now on the client's side only: the client sees its transport die while
    the node behind sees nothing (a half-open connection, as when a network
    path between them fails)."""

    def __init__(self, port):
        self.backend = port
        self.pairs = []
        self.severed = set()
        self.every = []  # every socket it opened, closed at the end
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.backend))
            self.pairs.append((client, upstream))
            self.every += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                if s not in self.severed:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def sever(self):
        for client, upstream in self.pairs:
            self.severed.add(upstream)
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.pairs = []

    def close(self):
        self.sock.close()
        for s in self.every:
            s.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


class Node:
    """A node process, driven line by line."""

    def __init__(self, kind, url, serve=False, *flags):
        args = [sys.executable, str(NODE), kind, url] + (["--serve"] if serve else [])
        args += list(flags)
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.lock = threading.Lock()
        ready, self.port = self.read()
        assert ready == "ready"

    def read(self):
        line = self.proc.stdout.readline()
        assert line, f"node exited with {self.proc.poll()}"
        return ast.literal_eval(line)

    def call(self, *cmd):
        with self.lock:
            self.proc.stdin.write(repr(cmd) + "\n")
            self.proc.stdin.flush()
            return self.read()

    def emit(self, event, data, to, namespace="/"):
        assert self.call("emit", event, data, to, namespace) == "ok"

    def history(self, room, namespace="/"):
        return self.call("history", room, namespace)

    def page(self, room, namespace="/", **query):
        return self.call("page", room, namespace, query)

    def close(self):
        try:
            self.proc.stdin.write(repr(("quit",)) + "\n")
            self.proc.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):  # (it may have been killed)
            self.proc.kill()
            self.proc.wait(10)
        finally:
            for pipe in (self.proc.stdin, self.proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass


def wait_until(predicate, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_subscribed(nodes, emit_probe):
    """Until every node hears the queue, emits are lost (pub/sub keeps no
    backlog): emit probes until one reaches every node."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        emit_probe()
        time.sleep(0.2)
        if all(n.history("probe") for n in nodes):
            return
    pytest.fail("the nodes never all heard the queue")


@pytest.fixture
def nodes_factory():
    started = []

    def start(*specs):
        nodes = [Node(*spec) for spec in specs]
        started.extend(nodes)
        return nodes

    yield start
    for node in started:
        node.close()

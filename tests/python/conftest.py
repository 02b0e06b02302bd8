"""Shared fixtures: every API test runs on socketio.Server and socketio.AsyncServer."""

import asyncio
import inspect
import os

import pytest
import socketio
import socketio_history
from socketio_history import HistoryStore, ManualClock

CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip when something outside the project is missing locally; in CI it
    must be there, so the skip becomes a failure."""
    if CI:
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


class Driver:
    """Calls a server's methods alike for both kinds: coroutines are run."""

    def __init__(self, sio):
        self.sio = sio
        self.is_async = isinstance(sio, socketio.AsyncServer)

    def __getattr__(self, name):
        attr = getattr(self.sio, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            result = attr(*args, **kwargs)
            if self.is_async and name in ASYNC_METHODS:
                assert inspect.iscoroutine(result), f"AsyncServer.{name} must be a coroutine"
            return asyncio.run(result) if inspect.iscoroutine(result) else result

        return call


# The history methods CONTRACT.md, "python-socketio" adds to both servers.
HISTORY_METHODS = [
    "enable_history",
    "disable_history",
    "get_history",
    "get_history_page",
    "get_history_stats",
    "clear_history",
    "replay_history",
    "enter_room_with_history",
]

# The mutable-message methods of CONTRACT.md, "Mutable messages".
MESSAGE_METHODS = [
    "create_message",
    "update_message",
    "delete_message",
    "append_message",
    "get_message",
    "get_message_versions",
]

# AsyncServer methods that must return coroutines.
ASYNC_METHODS = {*HISTORY_METHODS, *MESSAGE_METHODS, "emit", "send"}


@pytest.fixture(params=["Server", "AsyncServer"])
def server(request):
    return Driver(getattr(socketio, request.param)())


@pytest.fixture
def clock():
    return ManualClock(wall=1_000_000.0)


@pytest.fixture
def clocked(server, clock):
    """A server whose store runs on a manual clock."""
    server.sio.history = HistoryStore(clock=clock)
    return server


@pytest.fixture(autouse=True)
def _package_imported():
    assert socketio_history.__version__


# The multi-node fixtures (a redis-server, node processes), for every test
# module that runs a cluster.
from cluster import nodes_factory, redis_url  # noqa: E402, F401

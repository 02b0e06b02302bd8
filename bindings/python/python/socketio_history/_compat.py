"""Which python-socketio and python-engineio this package works with, and
the check that they are what it hooks (docs/CONTRACT.md, "Supported
environments").

The package replaces some of python-socketio's methods and relies on others
and on a few of its attributes. :data:`TARGETS` lists every one of them;
:func:`check` runs before anything is patched and fails at once, naming the
supported range, when the installed versions are outside it or a target is
missing or takes other parameters. Nothing is half patched: every hook is
installed through :func:`socketio_history._patch.hook`, which refuses a name
that is not in this table. ``docs/ARCHITECTURE.md`` lists the same names
with the reason for each.
"""

from __future__ import annotations

import importlib
import inspect
import os
import warnings
from dataclasses import dataclass
from importlib import metadata
from typing import Any

# The tested range, lowest and newest: pyproject.toml declares the same
# (tests/python/test_compat.py holds them equal).
SUPPORTED: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "python-socketio": ((5, 16, 1), (5, 19)),
    "python-engineio": ((4, 11, 2), (4, 16)),
}

# Set to 1 to run with versions outside the range (a warning instead of an
# error); a missing hook target is an error whatever it says.
ALLOW_UNTESTED = "SOCKETIO_HISTORY_ALLOW_UNTESTED"


class UnsupportedEnvironmentError(ImportError):
    """The installed python-socketio or python-engineio is outside the
    supported range, or lacks something this package hooks. Nothing was
    patched."""


def requirement(dist: str) -> str:
    """The range of ``dist`` as a requirement string (``>=low,<high``)."""
    low, high = SUPPORTED[dist]
    return f"{dist}>={_text(low)},<{_text(high)}"


def supported_range() -> str:
    return ", ".join(requirement(d) for d in SUPPORTED)


@dataclass(frozen=True)
class Target:
    """One name of python-socketio or python-engineio the package uses."""

    module: str
    owner: str  # a class in `module`, or "" for the module itself
    name: str
    hooked: bool  # replaced by a wrapper (else: called or read)
    params: tuple[str, ...] = ()  # parameters a callable must take

    def __str__(self) -> str:
        return ".".join(p for p in (self.module, self.owner, self.name) if p)


def _targets() -> tuple[Target, ...]:
    t: list[Target] = []

    def hooked(module: str, owner: str, name: str, *params: str) -> None:
        t.append(Target(module, owner, name, True, params))

    def used(module: str, owner: str, name: str, *params: str) -> None:
        t.append(Target(module, owner, name, False, params))

    # Recording: every delivery passes the managers' emit once.
    emit = ("event", "data", "namespace", "room", "skip_sid", "callback")
    hooked("socketio.manager", "Manager", "emit", *emit)
    hooked("socketio.async_manager", "AsyncManager", "emit", *emit)
    hooked("socketio.pubsub_manager", "PubSubManager", "_handle_emit", "message")
    hooked("socketio.async_pubsub_manager", "AsyncPubSubManager", "_handle_emit", "message")
    enter = ("sid", "namespace", "room", "eio_sid")
    hooked("socketio.base_manager", "BaseManager", "basic_enter_room", *enter)
    hooked("socketio.base_manager", "BaseManager", "basic_leave_room", "sid", "namespace", "room")
    for name in ("initialize", "get_namespaces", "is_connected"):
        used("socketio.base_manager", "BaseManager", name)
    used("socketio.base_manager", "BaseManager", "sid_from_eio_sid", "eio_sid", "namespace")
    used("socketio.base_manager", "BaseManager", "eio_sid_from_sid", "sid", "namespace")
    used("socketio.manager", "Manager", "disconnect", "sid", "namespace")
    used("socketio.async_manager", "AsyncManager", "disconnect", "sid", "namespace")
    # Connection state recovery, on both server classes.
    for module, owner in (("socketio.server", "Server"), ("socketio.async_server", "AsyncServer")):
        hooked(module, owner, "_handle_connect", "eio_sid", "namespace", "data")
        hooked(module, owner, "_send_packet", "eio_sid", "pkt")
        hooked(module, owner, "_send_eio_packet", "eio_sid", "eio_pkt")
        hooked(module, owner, "_handle_eio_disconnect", "eio_sid", "reason")
        hooked(module, owner, "_handle_disconnect", "eio_sid", "namespace", "reason")
        hooked(module, owner, "disconnect", "sid", "namespace", "ignore_queue")
        hooked(module, owner, "save_session", "sid", "session", "namespace")
        used(module, owner, "_trigger_event", "event", "namespace")
        used(module, owner, "emit")
        used(module, owner, "reason")
    used("engineio.socket", "Socket", "close", "wait", "reason")
    used("engineio.async_socket", "AsyncSocket", "close", "wait", "reason")
    used("socketio.exceptions", "", "ConnectionRefusedError")
    # The client side of recovery.
    for module, owner in (("socketio.client", "Client"), ("socketio.async_client", "AsyncClient")):
        hooked(module, owner, "_handle_connect", "namespace", "data")
        hooked(module, owner, "_handle_event", "namespace", "id", "data")
        hooked(module, owner, "_send_packet", "pkt")
    # Replays and restores hand packets to Engine.IO as python-socketio does.
    for name in ("EVENT", "CONNECT", "DISCONNECT", "Packet"):
        used("socketio.packet", "", name)
    used("socketio.packet", "Packet", "encode")
    used("socketio.packet", "Packet", "reconstruct_binary")
    used("socketio.packet", "Packet", "json")
    used("engineio.packet", "", "MESSAGE")
    used("engineio.packet", "", "Packet")
    used("engineio", "", "json")
    return tuple(t)


# Every name the package relies on whatever the application uses.
TARGETS: tuple[Target, ...] = _targets()

# What the Redis Streams managers add: the RedisManager internals they
# override or call, checked when one of them is first imported.
STREAMS_TARGETS: tuple[Target, ...] = tuple(
    Target(module, owner, name, False)
    for module, owner in (
        ("socketio.redis_manager", "RedisManager"),
        ("socketio.async_redis_manager", "AsyncRedisManager"),
    )
    for name in (
        "_redis_connect",
        "_publish",
        "_thread",
        "_handle_emit",
        "_handle_callback",
        "_handle_disconnect",
        "_handle_enter_room",
        "_handle_leave_room",
        "_handle_close_room",
        "_get_logger",
        "initialize",
    )
)


def rooms_of(manager: Any, sid: str, namespace: str) -> list[str]:
    """The named rooms ``sid`` is in. python-socketio's ``get_rooms``
    iterates the live room table, which other threads of a threading server
    change meanwhile ("dictionary changed size during iteration" when a
    reconnect storm drops hundreds of clients at once); a copy is one step
    under the GIL, as python-socketio's own ``disconnect`` takes it."""
    try:
        rooms = manager.rooms[namespace].copy()
    except KeyError:
        return []
    return [name for name, members in rooms.items() if isinstance(name, str) and sid in members]


def _text(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string (``5.12.0rc1`` -> (5, 12, 0))."""
    out: list[int] = []
    for part in version.split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        out.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(out)


def _installed(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def version_problems(versions: dict[str, str | None] | None = None) -> list[str]:
    """What is wrong with the installed (or the given) versions."""
    problems = []
    for dist, (low, high) in SUPPORTED.items():
        found = versions[dist] if versions is not None else _installed(dist)
        if found is None:
            problems.append(f"{dist} is not installed (its version cannot be read)")
            continue
        release = _release(found)
        if not low <= release < high:
            problems.append(f"{dist} {found} is installed")
    return problems


def _resolve(target: Target) -> object:
    obj: object = importlib.import_module(target.module)
    for part in (target.owner, target.name):
        if part:
            obj = getattr(obj, part)
    return obj


def target_problems(targets: tuple[Target, ...]) -> list[str]:
    """Which targets are missing, or callables without the parameters the
    package passes."""
    problems = []
    for target in targets:
        try:
            obj = _resolve(target)
        except (ImportError, AttributeError) as e:
            problems.append(f"{target} is missing ({e})")
            continue
        if target.params:
            try:
                have = inspect.signature(obj).parameters  # type: ignore[arg-type]
            except (TypeError, ValueError):
                problems.append(f"{target} is not a function")
                continue
            lacking = [p for p in target.params if p not in have]
            if lacking:
                problems.append(f"{target} takes no {', '.join(lacking)}")
    return problems


def _fail(problems: list[str]) -> UnsupportedEnvironmentError:
    return UnsupportedEnvironmentError(
        "socketio-history supports "
        + supported_range()
        + "; "
        + "; ".join(problems)
        + ". Nothing was patched: install a supported version"
        + f" (or set {ALLOW_UNTESTED}=1 to try an untested one)."
    )


def check_streams() -> None:
    """The Redis Streams managers' own targets (the versions were checked
    when the package was imported)."""
    missing = target_problems(STREAMS_TARGETS)
    if missing:
        raise _fail(missing)


def check(targets: tuple[Target, ...] = TARGETS) -> None:
    """Fail with :class:`UnsupportedEnvironmentError` unless the installed
    versions are in the supported range and every target is there. With
    ``SOCKETIO_HISTORY_ALLOW_UNTESTED=1`` a version outside the range only
    warns; a missing target always fails."""
    versions = version_problems()
    if versions and os.environ.get(ALLOW_UNTESTED, "").strip() not in ("1", "true", "yes"):
        raise _fail(versions)
    missing = target_problems(targets)
    if missing:
        raise _fail(versions + missing)
    if versions:
        warnings.warn(
            f"socketio-history is untested with this environment ({'; '.join(versions)}); "
            f"it supports {supported_range()}",
            RuntimeWarning,
            stacklevel=3,
        )

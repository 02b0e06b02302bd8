"""The installed wheel, as a user gets it: the start-up hook in fresh
interpreters, and the type stubs against the native module."""

import os
import subprocess
import sys

import pytest


def run_python(code, **env):
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_start_up_imports_neither_socketio_nor_the_native_module():
    out = run_python(
        "import sys; print(sorted(m for m in sys.modules"
        " if m.startswith(('socketio', 'engineio'))))"
    )
    assert out == "[]"


def test_plain_import_socketio_gains_history():
    out = run_python(
        "import socketio\n"
        "sio = socketio.Server()\n"
        "sio.enable_history('r')\n"
        "sio.emit('e', 'x', to='r')\n"
        "print(len(sio.get_history('r')), hasattr(socketio.AsyncServer, 'replay_history'))"
    )
    assert out == "1 True"


def test_emit_is_hooked_only_once_a_server_uses_history():
    out = run_python(
        "import socketio\n"
        "hooked = lambda: hasattr(socketio.Manager.emit, '_socketio_history_hook')\n"
        "before = hooked()\n"
        "sio = socketio.Server()\n"
        "sio.emit('e', 'x', to='r')\n"
        "middle = hooked()\n"
        "sio.enable_history('r')\n"
        "sio.emit('e', 'y', to='r')\n"
        "print(before, middle, hooked(), socketio.AsyncManager.emit.__name__,"
        " [e['data'] for e in sio.get_history('r')])"
    )
    assert out == "False False True emit ['y']"


def test_plain_import_socketio_gains_the_client_side_of_recovery():
    out = run_python(
        "import socketio\n"
        "print(hasattr(socketio.Client, 'is_recovered'),"
        " hasattr(socketio.AsyncClient, 'is_recovered'))"
    )
    assert out == "True True"


def test_from_import_also_gains_history():
    out = run_python(
        "from socketio import AsyncServer, Server\nprint(hasattr(Server, 'get_history_page'))"
    )
    assert out == "True"


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_autopatch_can_be_turned_off(value):
    out = run_python(
        "import sys, socketio\n"
        "print(hasattr(socketio.Server, 'enable_history'), 'socketio_history' in sys.modules,"
        " hasattr(socketio.Client, 'is_recovered'))",
        SOCKETIO_HISTORY_AUTOPATCH=value,
    )
    assert out == "False False False"
    # An explicit import still works.
    out = run_python(
        "import socketio, socketio_history\nprint(hasattr(socketio.Server, 'enable_history'))",
        SOCKETIO_HISTORY_AUTOPATCH=value,
    )
    assert out == "True"


def test_stubs_match_the_native_module():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "socketio_history._native",
            "--ignore-disjoint-bases",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_type_checks(tmp_path):
    user_code = tmp_path / "app.py"
    user_code.write_text(
        "from socketio_history import Entry, HistoryStore, Stats\n"
        "store = HistoryStore(max_total_bytes=1024)\n"
        "store.enable('room', max_entries=10)\n"
        "entries: list[Entry] = store.fetch('room', limit=5, include_events=['chat'])\n"
        "stats: Stats = store.stats('room')\n"
        "seq: int | None = store.record('room', 'chat', {'text': 'hi'})\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(user_code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_declares_and_carries_its_licenses():
    from importlib import metadata  # noqa: PLC0415

    meta = metadata.metadata("socketio-history")
    assert meta["License-Expression"] == "MIT OR Apache-2.0"
    files = {f.name for f in metadata.files("socketio-history") or []}
    assert {"LICENSE-MIT", "LICENSE-APACHE"} <= files


def test_the_extras_declare_ranges_that_hold_the_tested_versions():
    """``[redis]`` and ``[hiredis]`` pin ranges; the versions this run tests
    with are inside them (the lowest-versions run installs their floors)."""
    from importlib import metadata  # noqa: PLC0415

    from packaging.requirements import Requirement  # noqa: PLC0415

    extras = {}
    for text in metadata.requires("socketio-history") or []:
        req = Requirement(text)
        for extra in ("redis", "hiredis"):
            if req.marker is not None and req.marker.evaluate({"extra": extra}):
                extras.setdefault(extra, {})[req.name] = req.specifier
    assert set(extras["redis"]) == {"redis"}
    assert set(extras["hiredis"]) == {"redis", "hiredis"}
    for specs in extras.values():
        for name, spec in specs.items():
            assert any(s.operator == "<" for s in spec), f"{name} has no upper bound"
            assert spec.contains(metadata.version(name)), (name, metadata.version(name), spec)

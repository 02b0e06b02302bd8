"""The supported python-socketio / python-engineio range (docs/CONTRACT.md,
"Supported environments"): declared in the metadata, checked before
anything is patched, a clear error outside it, and a start-up hook that
warns instead of breaking the interpreter.

The out-of-range cases run a real old python-socketio release (downloaded
from PyPI once into target/), put ahead of the installed one in a
subprocess."""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import socketio
import socketio_history
import tomllib
from conftest import skip_or_fail
from socketio_history import _compat, _patch

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bindings" / "python" / "python" / "socketio_history"
# 5.11: history works there but recovery would silently never succeed
# (no `Server.reason`, `_handle_eio_disconnect` takes no reason).
OLD = "5.11.4"

# What the probe prints: whether anything of socketio was patched.
PATCHED = (
    "import socketio\n"
    "print('enable_history' in vars(socketio.Server),"
    " hasattr(socketio.Manager.emit, '_socketio_history_hook'),"
    " hasattr(socketio.Server._handle_connect, '_socketio_history_hook'),"
    " hasattr(socketio.Client, 'is_recovered'))\n"
)


def run(code: str, *, path: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    if path is not None:
        environ["PYTHONPATH"] = str(path)
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", code],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def old_socketio() -> Path:
    """python-socketio OLD, unpacked where a PYTHONPATH can put it first."""
    dest = ROOT / "target" / "compat" / f"python-socketio-{OLD}"
    if not (dest / "socketio").is_dir():
        wheels = ROOT / "target" / "compat" / "wheels"
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        got = subprocess.run(
            [*pip, "--disable-pip-version-check", "--dest", str(wheels), f"python-socketio=={OLD}"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        wheel = next(wheels.glob(f"python_socketio-{OLD}-*.whl"), None)
        if got.returncode != 0 or wheel is None:
            skip_or_fail(f"cannot download python-socketio {OLD}: {got.stderr.strip()}")
        with zipfile.ZipFile(wheel) as z:
            z.extractall(dest)
    return dest


# ---- the declared range ---------------------------------------------------


def test_the_metadata_declares_the_range_the_check_enforces():
    declared = tomllib.loads((ROOT / "bindings/python/pyproject.toml").read_text())
    deps = declared["project"]["dependencies"]
    for dist in _compat.SUPPORTED:
        assert _compat.requirement(dist) in deps, (dist, deps)
    installed = metadata.requires("socketio-history") or []
    for dist in _compat.SUPPORTED:
        low, high = _compat.SUPPORTED[dist]
        wanted = {f">={'.'.join(map(str, low))}", f"<{'.'.join(map(str, high))}"}
        spec = next(r for r in installed if r.startswith(dist))
        assert set(spec[len(dist) :].split(",")) == wanted, spec


def test_the_installed_versions_are_in_the_range():
    assert _compat.version_problems() == []
    assert _compat.target_problems(_compat.TARGETS) == []
    assert _compat.target_problems(_compat.STREAMS_TARGETS) == []


@pytest.mark.parametrize(
    ("socketio_version", "ok"),
    [("5.16.0", False), ("5.16.1", True), ("5.18.1", True), ("5.19.0", False), ("6.0", False)],
)
def test_versions_are_held_to_both_bounds(socketio_version, ok):
    problems = _compat.version_problems(
        {"python-socketio": socketio_version, "python-engineio": "4.15.1"}
    )
    assert (problems == []) is ok, problems


# ---- outside the range: a clear error, nothing patched ---------------------


def test_an_old_python_socketio_is_refused_on_import_and_nothing_is_patched(old_socketio):
    probe = run(
        "try:\n"
        "    import socketio_history\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, e)\n" + PATCHED,
        path=old_socketio,
    )
    assert probe.returncode == 0, probe.stderr
    error, patched = probe.stdout.strip().splitlines()
    assert error.startswith("UnsupportedEnvironmentError")
    assert f"python-socketio {OLD} is installed" in error
    assert _compat.supported_range() in error
    assert patched == "False False False False"


def test_allowing_untested_versions_still_refuses_a_missing_hook_target(old_socketio):
    probe = run(
        "try:\n    import socketio_history\nexcept ImportError as e:\n    print(e)\n" + PATCHED,
        path=old_socketio,
        SOCKETIO_HISTORY_ALLOW_UNTESTED="1",
    )
    error, patched = probe.stdout.strip().splitlines()
    # 5.11 has no Server.reason, and its _handle_eio_disconnect no reason.
    assert "socketio.server.Server.reason is missing" in error
    assert "_handle_eio_disconnect takes no reason" in error
    assert patched == "False False False False"


def test_the_start_up_hook_warns_and_leaves_socketio_untouched(old_socketio):
    probe = run(PATCHED + "print('still running')", path=old_socketio)
    assert probe.returncode == 0, probe.stderr
    assert "socketio-history could not patch socketio" in probe.stderr
    assert "UnsupportedEnvironmentError" in probe.stderr
    assert probe.stdout.split() == ["False", "False", "False", "False", "still", "running"]


def test_a_missing_hook_target_is_refused_before_anything_is_patched():
    probe = run(
        "import socketio\n"
        "del socketio.Server._send_eio_packet\n"
        "try:\n"
        "    import socketio_history\n"
        "except ImportError as e:\n"
        "    print(e)\n" + PATCHED.replace("import socketio\n", ""),
        SOCKETIO_HISTORY_AUTOPATCH="0",
    )
    error, patched = probe.stdout.strip().splitlines()
    assert "socketio.server.Server._send_eio_packet is missing" in error
    assert _compat.supported_range() in error
    assert patched == "False False False False"


def test_a_hook_target_with_other_parameters_is_refused():
    probe = run(
        "import socketio\n"
        "socketio.AsyncManager.emit = lambda self, event, data: None\n"
        "try:\n"
        "    import socketio_history\n"
        "except ImportError as e:\n"
        "    print(e)\n",
        SOCKETIO_HISTORY_AUTOPATCH="0",
    )
    assert "socketio.async_manager.AsyncManager.emit takes no namespace, room" in probe.stdout


# ---- the hooks ------------------------------------------------------------


def test_every_hook_is_a_declared_target_and_each_is_installed_once():
    sio, asio = socketio.Server(), socketio.AsyncServer()
    sio.enable_history("r")
    sio.enable_connection_state_recovery()
    asyncio.run(asio.enable_connection_state_recovery())
    declared = sorted(str(t) for t in _compat.TARGETS if t.hooked)
    assert _patch.hooked_names() == declared
    # Installing again wraps nothing twice.
    before = socketio.Server._handle_connect
    socketio_history.install()
    sio.enable_connection_state_recovery()
    assert socketio.Server._handle_connect is before
    assert before.__wrapped__.__module__ == "socketio.server"


def test_a_name_outside_the_table_cannot_be_hooked():
    with pytest.raises(RuntimeError, match="no declared hook target"):
        _patch.hook(socketio.Server, "emit", lambda f: f)


def test_the_architecture_doc_lists_every_name_hooked_or_relied_on():
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    for target in _compat.TARGETS + _compat.STREAMS_TARGETS:
        name = f"{target.owner}.{target.name}" if target.owner else f"{target.module}.{target.name}"
        assert f"`{name}`" in doc, name


# ---- imports --------------------------------------------------------------


def _runtime_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports when it runs (not those only a
    type checker reads)."""
    tree = ast.parse(path.read_text())
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and child.level == 1:
                if child.module:
                    out.add(child.module)
                else:
                    out.update(a.name for a in child.names)
            visit(child)

    visit(tree)
    return {m for m in out if (PACKAGE / f"{m}.py").exists()}


def test_the_package_has_no_import_cycles():
    graph = {p.stem: _runtime_imports(p) for p in PACKAGE.glob("_*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def walk(module: str, stack: list[str]) -> None:
        if module in stack:
            pytest.fail("import cycle: " + " -> ".join([*stack[stack.index(module) :], module]))
        if module in done:
            return
        for dep in graph.get(module, ()):
            walk(dep, [*stack, module])
        done.add(module)

    for module in graph:
        walk(module, [])


def test_import_adds_no_optional_dependency_and_loads_the_managers_lazily():
    probe = run(
        "import sys, socketio\n"
        "before = set(sys.modules)\n"
        "import socketio_history\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] in ('redis', 'aiohttp', 'kombu')"
        " or 'streams' in m))\n"
        "socketio_history.RedisStreamsManager\n"
        "print('socketio_history._streams_sync' in sys.modules)\n",
        SOCKETIO_HISTORY_AUTOPATCH="0",
    )
    assert probe.stdout.split("\n")[:2] == ["[]", "True"], probe.stderr


def test_the_package_works_without_redis_installed():
    probe = run(
        "import sys\n"
        "sys.modules['redis'] = None; sys.modules['valkey'] = None\n"
        "import socketio, socketio_history\n"
        "sio = socketio.Server()\n"
        "sio.enable_history('r')\n"
        "sio.emit('e', 'x', to='r')\n"
        "print(len(sio.get_history('r')))\n"
        "try:\n"
        "    socketio_history.RedisStreamsManager('redis://127.0.0.1:1')\n"
        "except RuntimeError as e:\n"
        "    print('refused:', e)\n"
        "try:\n"
        "    socketio_history.AsyncRedisStreamsManager('redis://127.0.0.1:1')\n"
        "except RuntimeError as e:\n"
        "    print('refused:', e)\n",
        SOCKETIO_HISTORY_AUTOPATCH="0",
    )
    lines = probe.stdout.strip().splitlines()
    assert lines[0] == "1", probe.stderr
    assert lines[1:] == ["refused: the Redis Streams managers need redis-py: pip install redis"] * 2


def test_unknown_attributes_are_attribute_errors():
    with pytest.raises(AttributeError, match="no_such_name"):
        socketio_history.no_such_name  # noqa: B018

"""Installing hooks. Every python-socketio method the package replaces is
replaced through :func:`hook`, which takes only the names declared in
``_compat.TARGETS`` (the names the version check covers), wraps each once
per process, and marks the wrapper so a second install changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ._compat import TARGETS

_MARK = "_socketio_history_hook"
_DECLARED = {(t.module, t.owner, t.name) for t in TARGETS if t.hooked}
_lock = threading.Lock()


def is_hooked(cls: type, name: str) -> bool:
    return bool(getattr(getattr(cls, name, None), _MARK, False))


def hook(cls: type, name: str, wrap: Callable[[Any], Any]) -> None:
    """Replace ``cls.name`` with ``wrap(original)``, unless already done."""
    if (cls.__module__, cls.__qualname__, name) not in _DECLARED:
        raise RuntimeError(f"{cls.__module__}.{cls.__qualname__}.{name} is no declared hook target")
    with _lock:
        if is_hooked(cls, name):
            return
        wrapper = wrap(getattr(cls, name))
        wrapper.__dict__[_MARK] = True
        setattr(cls, name, wrapper)


def hooked_names() -> list[str]:
    """Every name hooked in this process, for tests and diagnostics."""
    import importlib  # noqa: PLC0415

    out = []
    for module, owner, name in sorted(_DECLARED):
        cls = getattr(importlib.import_module(module), owner)
        if is_hooked(cls, name):
            out.append(f"{module}.{owner}.{name}")
    return out

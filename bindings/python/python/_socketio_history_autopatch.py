"""Start-up hook of socketio-history (run by ``socketio_history.pth``).

It imports nothing heavy at interpreter start: it only registers an import
hook, so that when the application imports ``socketio``, ``socketio_history``
is imported right after it and the servers gain their history methods. Set
``SOCKETIO_HISTORY_AUTOPATCH=0`` to turn it off.
"""

from __future__ import annotations

import os
import sys

# Type names only (mypy takes this flag as true): this module runs at every
# interpreter start, where importing `typing` or `importlib.abc` costs
# milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any


class _Loader:
    def __init__(self, loader: Loader) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        try:
            import socketio_history  # noqa: F401, PLC0415  (patches socketio)
        except Exception as e:  # never break the application's import
            import warnings  # noqa: PLC0415

            warnings.warn(f"socketio-history could not patch socketio: {e!r}", stacklevel=2)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Finder:
    def find_spec(
        self,
        name: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if name != "socketio":
            return None
        sys.meta_path.remove(self)  # one shot; also avoids finding ourselves
        import importlib.util  # noqa: PLC0415

        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            # Duck-typed: subclassing importlib.abc.Loader would import it.
            spec.loader = _Loader(spec.loader)  # type: ignore[assignment]
        return spec


def install() -> None:
    if os.environ.get("SOCKETIO_HISTORY_AUTOPATCH", "1").strip().lower() in (
        "0",
        "false",
        "no",
        "off",
    ):
        return
    if "socketio" in sys.modules:
        import socketio_history  # noqa: F401, PLC0415

        return
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


install()

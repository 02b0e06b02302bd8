"""Start-up hook of socketio-history (run by ``socketio_history.pth``).

It imports nothing heavy at interpreter start: it only registers an import
hook, so that when the application imports ``socketio``, ``socketio_history``
is imported right after it and the servers gain their history methods. Set
``SOCKETIO_HISTORY_AUTOPATCH=0`` to turn it off.
"""

import os
import sys


class _Loader:
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        try:
            import socketio_history  # noqa: F401, PLC0415  (patches socketio)
        except Exception as e:  # never break the application's import
            import warnings  # noqa: PLC0415

            warnings.warn(f"socketio-history could not patch socketio: {e!r}", stacklevel=2)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _Finder:
    def find_spec(self, name, path=None, target=None):
        if name != "socketio":
            return None
        sys.meta_path.remove(self)  # one shot; also avoids finding ourselves
        import importlib.util  # noqa: PLC0415

        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install():
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

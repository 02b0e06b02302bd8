"""CONTRACT.md, "Errors": the error categories are the same in Python and C. One
table (tests/error_parity.tsv) is run here through HistoryStore and in
tests/c/test_messages.c through the C API: each row's C status is the
``code`` of the exception Python raises (``OK``: none)."""

import json
from pathlib import Path

import pytest
import socketio_history as sh

TABLE = Path(__file__).resolve().parents[1] / "error_parity.tsv"


def rows():
    for line in TABLE.read_text().splitlines():
        if line and not line.startswith("#"):
            op, a, b, want = line.split("\t")
            yield op, a, "" if b == "-" else b, want


OPS = {
    "create": lambda s, a, b: s.create_message("r", "chat", json.loads(b), "/", a),
    "create_in": lambda s, a, b: s.create_message(a, "chat", "x"),
    "append": lambda s, a, b: s.append_message("r", a, b),
    "update_data": lambda s, a, b: s.update_message("r", a, data=json.loads(b)),
    "update_keep": lambda s, a, b: s.update_message("r", a),
    "delete": lambda s, a, b: s.delete_message("r", a),
    "delete_as": lambda s, a, b: s.delete_message(
        "r", a, actor=b, grants={"message_delete_own": "*"}
    ),
}


def apply(store, op, a, b):
    return OPS[op](store, a, b)


def test_the_table_gives_the_same_categories_as_c():
    store = sh.HistoryStore()
    store.enable("r", max_message_bytes=8)
    store.create_message("r", "chat", "", message_id="mine", owner="alice")
    store.create_message("r", "chat", [1], message_id="obj")
    checked = 0
    for op, a, b, want in rows():
        if want == "OK":
            apply(store, op, a, b)
        else:
            with pytest.raises(sh.HistoryError) as info:
                apply(store, op, a, b)
            assert info.value.code == want, (op, a, b, info.value)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    "cls, base, code",
    [
        (sh.HistoryNotEnabledError, ValueError, "NOT_ENABLED"),
        (sh.MessageNotFoundError, LookupError, "NOT_FOUND"),
        (sh.InvalidMessageError, ValueError, "INVALID_ARGUMENT"),
        (sh.MessageTooLargeError, ValueError, "PAYLOAD_TOO_LARGE"),
        (sh.MessageForbiddenError, PermissionError, "FORBIDDEN"),
    ],
)
def test_each_category_is_a_builtin_error_with_the_c_status_name(cls, base, code):
    assert issubclass(cls, base) and issubclass(cls, sh.HistoryError)
    assert cls.code == code
    header = (Path(__file__).resolve().parents[2] / "include" / "socketio_history.h").read_text()
    assert f"SIOH_STATUS_{code} =" in header

"""The one table of bad arguments, shared by the suites that check the
server methods (test_api.py) and the store itself (test_hostile.py): each
row is ``(kwargs, error, param)`` (as a pytest param): the call with ``kwargs`` must raise
``error`` with a message naming ``param``, and change nothing."""

import math

import pytest

WRONG_TYPES = [1.5, b"bytes", ["list"], {"d": 1}, object(), True]

# Ints where ints are meant, but out of range (ValueError), and what is no int.
BAD_COUNTS = [
    (-1, ValueError),
    (-(2**70), ValueError),
    (True, TypeError),
    (False, TypeError),
    (1.0, TypeError),
    (math.nan, TypeError),
    ("3", TypeError),
    ([], TypeError),
]

BAD_RETENTION = [
    (-1, ValueError),
    (-0.001, ValueError),
    (math.nan, ValueError),
    (math.inf, ValueError),
    (-math.inf, ValueError),
    (1e300, ValueError),
    (True, TypeError),
    ("1", TypeError),
]

BAD_EVENT_FILTERS = [5, b"x", [1], [None], ["ok", 2], [b"a"], {"a": 1}.items()]


def bad_enable():
    """Rows for ``enable``/``enable_history``."""
    rows = [({"room": bad}, TypeError, "room") for bad in [None, *WRONG_TYPES]]
    rows += [({"namespace": bad}, TypeError, "namespace") for bad in WRONG_TYPES]
    for param in ("max_entries", "payload_size_cap", "max_bytes"):
        rows += [({param: bad}, error, param) for bad, error in BAD_COUNTS]
    rows += [({"max_entries": 0}, ValueError, "max_entries")]
    rows += [({"max_bytes": 0}, ValueError, "max_bytes")]
    rows += [({"retention_seconds": bad}, e, "retention_seconds") for bad, e in BAD_RETENTION]
    for param in ("max_message_bytes", "max_appends", "max_open_streams"):
        rows += [({param: bad}, error, param) for bad, error in BAD_COUNTS]
        rows += [({param: 0}, ValueError, param)]
    rows += [({"mutation_prefix": bad}, TypeError, "mutation_prefix") for bad in WRONG_TYPES]
    rows += [({"mutation_prefix": "p" * 129}, ValueError, "mutation_prefix")]
    return _params(rows)


def bad_read():
    """Rows for ``fetch``/``page`` and ``get_history``/``get_history_page``."""
    rows = [({"room": bad}, TypeError, "room") for bad in [None, *WRONG_TYPES]]
    rows += [({"namespace": bad}, TypeError, "namespace") for bad in WRONG_TYPES]
    for param in ("limit", "since_seq", "before_seq", "payload_size_cap"):
        rows += [({param: bad}, error, param) for bad, error in BAD_COUNTS]
    for param in ("include_events", "exclude_events"):
        rows += [({param: bad}, TypeError, param) for bad in BAD_EVENT_FILTERS]
    for param in ("since_time", "until_time"):
        rows += [({param: bad}, TypeError, param) for bad in (True, "1", b"1", [1.0])]
        rows += [({param: math.nan}, ValueError, param)]
    rows += [({"view": bad}, TypeError, "view") for bad in (1, b"log", ["log"])]
    rows += [({"view": "newest"}, ValueError, "view")]
    return _params(rows)


def _params(rows):
    """The rows as pytest params, each named for its bad argument."""
    return [
        pytest.param(kwargs, error, param, id=f"{k}={v!r}"[:40])
        for kwargs, error, param in rows
        for k, v in kwargs.items()
    ]

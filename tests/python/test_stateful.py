"""A hypothesis state machine drives a Server's history methods (and its
store, on a manual clock, with or without a store-wide byte budget) through
random sequences and compares every read, every room's stats and the budget
in use with a small pure-Python model of CONTRACT.md (the core's rules)."""

import json

import socketio
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from socketio_history import HistoryStore, ManualClock

ROOMS = ["a", "b"]
EVENTS = ["x", "y", "z"]


def size(data):
    if isinstance(data, str):
        return len(data.encode())
    if isinstance(data, bytes):
        return len(data)
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


def cut(data, cap):
    if cap is None or size(data) <= cap:
        return data, False
    if isinstance(data, bytes):
        return data[:cap], True
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return text.encode()[:cap].decode("utf-8", "ignore"), True


class ModelRoom:
    def __init__(self, cfg):
        self.cfg = cfg
        self.entries = []  # dicts: event, data, seq, t (monotonic seconds), stamp
        self.last_seq = 0
        self.counters = dict.fromkeys(
            ["evictions_size", "evictions_time", "evictions_bytes", "rejected_oversize"], 0
        )

    def expire(self, now):
        ttl = self.cfg["retention_seconds"]
        while ttl and self.entries and now - self.entries[0]["t"] >= ttl - 1e-9:
            self.entries.pop(0)
            self.counters["evictions_time"] += 1

    def bound(self):
        while len(self.entries) > self.cfg["max_entries"]:
            self.entries.pop(0)
            self.counters["evictions_size"] += 1
        while (
            self.cfg["max_bytes"]
            and sum(size(e["data"]) for e in self.entries) > self.cfg["max_bytes"]
        ):
            self.entries.pop(0)
            self.counters["evictions_bytes"] += 1


payloads = st.one_of(
    st.text(alphabet='aé€\n"', max_size=8),
    st.binary(max_size=8),
    st.dictionaries(st.sampled_from(["k", "n"]), st.integers(-99, 99), max_size=2),
)
optional_events = st.none() | st.lists(st.sampled_from(EVENTS), unique=True, max_size=3)


class HistoryMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = ManualClock()
        self.sio = socketio.Server()
        self.now = 0.0
        self.rooms = {}
        self.budget = None
        self.stamp = 0

    @initialize(entries=st.none() | st.integers(1, 8))
    def make_store(self, entries):
        # A budget of a few entries' worth, so store-wide eviction is common.
        self.budget = entries and entries * HistoryStore.budget_cost(12, "x")
        self.sio.history = HistoryStore(max_total_bytes=self.budget, clock=self.clock)

    @staticmethod
    def cost(entry):
        return HistoryStore.budget_cost(size(entry["data"]), entry["event"])

    def enforce_budget(self):
        while self.budget is not None:
            held = [(e["stamp"], room) for room, m in self.rooms.items() for e in m.entries]
            if sum(self.cost(e) for m in self.rooms.values() for e in m.entries) <= self.budget:
                return
            _, room = min(held)
            self.rooms[room].entries.pop(0)
            self.rooms[room].counters["evictions_bytes"] += 1

    @rule(
        room=st.sampled_from(ROOMS),
        max_entries=st.integers(1, 5),
        retention=st.none() | st.integers(1, 4),
        max_bytes=st.none() | st.integers(4, 40),
        cap=st.none() | st.integers(0, 10),
    )
    def enable(self, room, max_entries, retention, max_bytes, cap):
        self.sio.enable_history(
            room,
            max_entries=max_entries,
            retention_seconds=retention,
            max_bytes=max_bytes,
            payload_size_cap=cap,
        )
        cfg = {
            "max_entries": max_entries,
            "retention_seconds": retention,
            "max_bytes": max_bytes,
            "payload_size_cap": cap,
        }
        model = self.rooms.setdefault(room, ModelRoom(cfg))
        model.cfg = cfg
        model.expire(self.now)
        model.bound()

    @rule(room=st.sampled_from(ROOMS))
    def disable(self, room):
        self.sio.disable_history(room)
        self.rooms.pop(room, None)

    @rule(room=st.sampled_from(ROOMS))
    def clear(self, room):
        model = self.rooms.get(room)
        assert self.sio.clear_history(room) == (len(model.entries) if model else 0)
        if model:
            model.entries.clear()

    @rule(
        to=st.lists(st.sampled_from(ROOMS), min_size=1, max_size=2),
        event=st.sampled_from(EVENTS),
        data=payloads,
    )
    def emit(self, to, event, data):
        self.sio.emit(event, data, to=to)
        self.model_record(to, event, data)

    @rule(room=st.sampled_from(ROOMS), event=st.sampled_from(EVENTS), data=payloads)
    def record_through_the_store(self, room, event, data):
        """The store on its own: like an emit to one room, returning the seq."""
        seq = self.sio.history.record(room, event, data)
        recorded = self.model_record([room], event, data)
        assert seq == recorded.get(room)

    def model_record(self, to, event, data):
        """Apply one emit to the model; returns {room: seq} of what it stored."""
        stored = {}
        for room in dict.fromkeys(to):
            model = self.rooms.get(room)
            if model is None:
                continue
            model.expire(self.now)
            entry = {"event": event, "data": data, "seq": model.last_seq + 1, "t": self.now}
            if (model.cfg["max_bytes"] and size(data) > model.cfg["max_bytes"]) or (
                self.budget is not None and self.cost(entry) > self.budget
            ):
                model.counters["rejected_oversize"] += 1
                continue
            model.last_seq += 1
            entry["stamp"] = self.stamp
            self.stamp += 1
            model.entries.append(entry)
            model.bound()
            self.enforce_budget()
            stored[room] = model.last_seq
        return stored

    @rule(seconds=st.sampled_from([0.5, 1, 2]))
    def advance(self, seconds):
        self.clock.advance(seconds)
        self.now += seconds

    @rule(
        room=st.sampled_from(ROOMS),
        limit=st.none() | st.integers(0, 4),
        since=st.none() | st.integers(0, 12),
        before=st.none() | st.integers(0, 12),
        include=optional_events,
        exclude=optional_events,
        cap=st.none() | st.integers(0, 10),
        paged=st.booleans(),
        direct=st.booleans(),
    )
    def read(self, room, limit, since, before, include, exclude, cap, paged, direct):
        args = dict(
            limit=limit,
            since_seq=since,
            before_seq=before,
            include_events=include,
            exclude_events=exclude,
            payload_size_cap=cap,
        )
        if direct:  # the store on its own, as HistoryStore users call it
            store = self.sio.history
            got = store.page(room, **args) if paged else store.fetch(room, **args)
        else:
            got = (
                self.sio.get_history_page(room, **args)
                if paged
                else self.sio.get_history(room, **args)
            )
        model = self.rooms.get(room)
        selected = []
        if model:
            model.expire(self.now)
            selected = [
                e
                for e in model.entries
                if (since is None or e["seq"] > since)
                and (before is None or e["seq"] < before)
                and (include is None or e["event"] in include)
                and (exclude is None or e["event"] not in exclude)
            ]
        kept = selected if limit is None else selected[len(selected) - min(limit, len(selected)) :]
        effective_cap = (
            cap if cap is not None else (model.cfg["payload_size_cap"] if model else None)
        )
        want = []
        for e in kept:
            data, truncated = cut(e["data"], effective_cap)
            want.append((e["event"], data, e["seq"], truncated))
        entries = got["entries"] if paged else got
        assert [(e["event"], e["data"], e["seq"], e["truncated"]) for e in entries] == want
        if paged:
            assert got["has_more"] == (len(selected) > len(kept))
            if model:
                head = model.entries[0]["seq"] if model.entries else model.last_seq + 1
                gap = since is not None and (since + 1 < head or since > model.last_seq)
                assert (got["first_seq"], got["last_seq"], got["gap"]) == (
                    model.entries[0]["seq"] if model.entries else None,
                    model.last_seq,
                    gap,
                )

    @invariant()
    def stats_agree(self):
        for room in ROOMS:
            stats = self.sio.get_history_stats(room)
            model = self.rooms.get(room)
            if model is None:
                assert stats["enabled"] is False and stats["entries_count"] == 0
                continue
            model.expire(self.now)
            assert stats["enabled"] is True
            assert stats["entries_count"] == len(model.entries)
            assert stats["bytes"] == sum(size(e["data"]) for e in model.entries)
            assert stats["last_seq"] == model.last_seq
            for key, value in model.counters.items():
                assert stats[key] == value, key
            for key, value in model.cfg.items():
                assert stats[key] == value, key
        held = sum(self.cost(e) for m in self.rooms.values() for e in m.entries)
        assert self.sio.history.total_bytes == (held if self.budget is not None else 0)


TestHistoryMachine = HistoryMachine.TestCase
TestHistoryMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)

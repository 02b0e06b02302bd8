"""Memory stays bounded under attack: rooms created from client input under
a store-wide budget, and a long soak with a TTL. Measured with the store's
own accounting and the process's RSS (memory, not time)."""

import gc
import os

from socketio_history import HistoryStore, ManualClock


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_100k_client_rooms_stay_within_the_budget():
    budget = 8 * 2**20
    store = HistoryStore(max_total_bytes=budget)
    gc.collect()
    before = rss()
    for i in range(100_000):
        room = f"client-room-{i}"  # as if chosen by clients
        store.enable(room)
        for j in range(5):
            store.record(room, f"evt{j}", "p" * 200)
        if i % 10_000 == 0:
            assert store.total_bytes <= budget
    assert store.total_bytes <= budget
    assert store.total_bytes > budget * 0.9, "the budget is used, not wasted"
    # Entries are bounded by the budget; what remains is the rooms' own
    # bookkeeping (enabled rooms are the application's choice, see README).
    grown = rss() - before
    assert grown < budget + 100_000 * 1024, grown
    kept = sum(store.stats(f"client-room-{i}")["entries_count"] for i in range(99_000, 100_000))
    assert kept == 5_000, "the newest rooms keep their entries"
    assert store.stats("client-room-0")["evictions_bytes"] == 5


def test_a_soak_with_a_ttl_keeps_memory_flat():
    clock = ManualClock()
    store = HistoryStore(clock=clock)
    rooms = [f"room{i}" for i in range(100)]
    for room in rooms:
        store.enable(room, max_entries=100_000, retention_seconds=1)
    payload = "q" * 100

    def run(records):
        for i in range(records):
            store.record(rooms[i % 100], "chat", payload)
            if i % 1000 == 999:
                clock.advance(0.1)  # ~10,000 records live at any time

    run(500_000)  # warm-up: the allocator and the rings reach their size
    gc.collect()
    warm = rss()
    run(2_500_000)
    gc.collect()
    grown = rss() - warm
    assert grown < 4 * 2**20, f"RSS grew by {grown} bytes after warm-up"
    held = sum(store.stats(r)["entries_count"] for r in rooms)
    assert 9_000 <= held <= 11_000, held

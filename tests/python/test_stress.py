"""Threads (and asyncio tasks) enabling, disabling, clearing, recording and
fetching on the same rooms for a bounded number of operations, while the
invariants are checked: entries never exceed max_entries, seqs ascend
without gaps within a read, stats agree with what a read returns, and what
a message queue delivers is recorded once."""

import asyncio
import itertools
import random
import threading

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

ROOMS = ["a", "b", "c"]
MAX = 20


def check_read(entries, stats=None):
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)
    assert all(b == a + 1 for a, b in itertools.pairwise(seqs)), seqs
    assert len(entries) <= MAX
    if stats is not None:
        assert stats["entries_count"] <= MAX


def worker(sio, seed, errors, ops=3_000):
    rnd = random.Random(seed)
    try:
        for i in range(ops):
            room = rnd.choice(ROOMS)
            op = rnd.random()
            if op < 0.05:
                sio.enable_history(room, max_entries=MAX)
            elif op < 0.08:
                sio.disable_history(room)
            elif op < 0.10:
                sio.clear_history(room)
            elif op < 0.75:
                sio.emit("e", {"seed": seed, "i": i}, to=rnd.sample(ROOMS, 2))
            else:
                check_read(sio.get_history(room), sio.get_history_stats(room))
                page = sio.get_history_page(room, since_seq=rnd.randint(0, 50), limit=5)
                check_read(page["entries"])
                assert not (page["has_more"] and len(page["entries"]) < 5)
    except Exception as e:  # reported to the main thread
        errors.append(e)


def check_settled(entries, stats):
    """A room nobody touches any more: its stats describe exactly its entries."""
    check_read(entries, stats)
    if not stats["enabled"]:
        assert entries == []
        assert stats["entries_count"] == 0
        return
    assert stats["entries_count"] == len(entries)
    if entries:
        assert stats["first_seq"] == entries[0]["seq"]
        assert stats["last_seq"] == entries[-1]["seq"]
    else:
        assert stats["first_seq"] is None


def test_threads_hammering_the_same_rooms_keep_the_invariants():
    sio = socketio.Server()
    for room in ROOMS:
        sio.enable_history(room, max_entries=MAX)
    errors = []
    threads = [threading.Thread(target=worker, args=(sio, s, errors)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    for room in ROOMS:
        check_settled(sio.get_history(room), sio.get_history_stats(room))


class QueueManager(AsyncPubSubManager):
    """A message queue inside the process (asyncio queues, one per node):
    python-socketio's own pub/sub machinery, listener task included, with no
    broker to run."""

    name = "asyncio-queue"

    def __init__(self, bus):
        super().__init__(channel="stress")
        self.inbox = asyncio.Queue()
        self.bus = bus
        bus.append(self.inbox)

    async def _publish(self, data):
        for inbox in self.bus:
            await inbox.put(data)

    async def _listen(self):
        while True:
            yield await self.inbox.get()


def test_asyncio_tasks_and_a_queue_listener_interleave_and_keep_the_invariants():
    """Tasks on node A enable, disable, clear, emit and read while tasks on
    node B emit; every emit reaches the other node through the queue's
    listener task. Every step awaits, so the tasks and the listener really
    interleave (checked: B's log alternates between emitters). B keeps every
    room with room to spare, so it must end with each emit exactly once, each
    emitter's in its order."""

    async def scenario():
        bus = []
        a = socketio.AsyncServer(client_manager=QueueManager(bus))
        b = socketio.AsyncServer(client_manager=QueueManager(bus))
        for room in ROOMS:
            await a.enable_history(room, max_entries=MAX)
            await b.enable_history(room, max_entries=100_000)
        emitted = {room: [] for room in ROOMS}

        async def task_on_a(seed):
            rnd = random.Random(seed)
            for i in range(600):
                room = rnd.choice(ROOMS)
                op = rnd.random()
                if op < 0.05:
                    await a.enable_history(room, max_entries=MAX)
                elif op < 0.08:
                    await a.disable_history(room)
                elif op < 0.10:
                    await a.clear_history(room)
                elif op < 0.75:
                    emitted[room].append((seed, i))
                    await a.emit("e", {"seed": seed, "i": i}, to=room)
                else:
                    entries = await a.get_history(room)
                    await asyncio.sleep(0)  # others run between the two reads
                    check_read(entries)
                    check_read(await a.get_history(room), await a.get_history_stats(room))
                await asyncio.sleep(0)

        async def task_on_b(seed):
            rnd = random.Random(seed)
            for i in range(300):
                room = rnd.choice(ROOMS)
                emitted[room].append((seed, i))
                await b.emit("e", {"seed": seed, "i": i}, to=room)
                await asyncio.sleep(0)

        await asyncio.gather(*(task_on_a(s) for s in range(4)), task_on_b(100), task_on_b(101))
        while any(not inbox.empty() for inbox in bus):
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)  # the listeners hand over their last message

        switches = 0
        for room in ROOMS:
            check_settled(await a.get_history(room), await a.get_history_stats(room))
            log = [(e["data"]["seed"], e["data"]["i"]) for e in await b.get_history(room)]
            assert sorted(log) == sorted(emitted[room]), room
            assert len(set(log)) == len(log), "each emit once"
            for seed in {s for s, _ in log}:
                mine = [i for s, i in log if s == seed]
                assert mine == sorted(mine), (room, seed)
            switches += sum(1 for x, y in itertools.pairwise(log) if x[0] != y[0])
        assert switches > 100, "the tasks did not interleave"

    asyncio.run(scenario())

"""Threads (and asyncio tasks) enabling, disabling, clearing, recording and
fetching on the same rooms for a bounded number of operations, while the
invariants are checked: entries never exceed max_entries, seqs ascend
without gaps within a read, stats agree with what a read returns."""

import asyncio
import itertools
import random
import threading

import socketio

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
        stats = sio.get_history_stats(room)
        entries = sio.get_history(room)
        check_read(entries, stats)
        if stats["enabled"]:
            assert stats["entries_count"] == len(entries)
            assert stats["last_seq"] == (entries[-1]["seq"] if entries else stats["last_seq"])


def test_asyncio_tasks_hammering_an_async_server_keep_the_invariants():
    async def scenario():
        sio = socketio.AsyncServer()
        for room in ROOMS:
            await sio.enable_history(room, max_entries=MAX)

        async def task(seed):
            rnd = random.Random(seed)
            for i in range(2_000):
                room = rnd.choice(ROOMS)
                op = rnd.random()
                if op < 0.05:
                    await sio.enable_history(room, max_entries=MAX)
                elif op < 0.08:
                    await sio.disable_history(room)
                elif op < 0.10:
                    await sio.clear_history(room)
                elif op < 0.75:
                    await sio.emit("e", {"seed": seed, "i": i}, to=room)
                else:
                    check_read(await sio.get_history(room), await sio.get_history_stats(room))
                if i % 50 == 0:
                    await asyncio.sleep(0)  # interleave the tasks

        await asyncio.gather(*(task(s) for s in range(8)))
        for room in ROOMS:
            check_read(await sio.get_history(room), await sio.get_history_stats(room))

    asyncio.run(scenario())

"""The README's performance summary, written by ``make bench`` from the same
run as BENCHMARKS.md (between two marker comments in README.md), so the
two never tell different numbers."""

import re

START = "<!-- make bench writes the list below (benches/summary.py) -->"
END = "<!-- end of the list make bench writes -->"


def _x(r):
    """A ratio as the summary rounds it: one decimal below 5, none above."""
    if r >= 5:
        return f"{r:.0f}×"
    return f"{r:.1f}×"


def _us(ns):
    return f"{ns / 1000:.1f} µs" if ns < 10_000 else f"{ns / 1000:,.0f} µs"


def _ms(v):
    return f"{v:.1f} ms" if v < 10 else f"{v:,.0f} ms"


def bullets(py, c, crit):
    """The summary's bullets; ``crit(group, bench)`` reads a criterion
    median (ns)."""
    median = lambda table, row: table[row]["median_ns"]  # noqa: E731
    emit, fetch, replay, redis = py["emit"], py["fetch"], py["replay"], py["redis"]
    rec, msg, mem = py["recovery"], py["messages"], py["memory"]
    core = crit("record", "core")
    clock = crit("record", "clock_read")
    coarse = crit("record", "core_coarse_clock")
    out = [
        f"* the Rust core records into a full room in about {core:.0f} ns"
        f" ({clock / core:.0%} of it the clock read; on the opt-in coarse clock"
        f" {core - coarse:.0f} ns less) and serves the newest 100 of 10,000 entries"
        f" in about {_us(crit('fetch', 'newest_100'))};",
        "* `replay_history(sid, room, limit=100)` to a real client is about"
        f" {_x(median(replay, 'reference: fetch + emit per entry') / median(replay, 'replay_history (native packets)'))}"  # noqa: E501
        " faster than fetching and emitting each entry (the packets come encoded from the"
        " core; python-engineio's own per-message work is most of what is left), and"
        " `get_history(room, 100)` about"
        f" {_x(median(fetch, 'reference: newest 100') / median(fetch, 'socketio-history: newest 100'))}"  # noqa: E501
        " faster than a pure-Python store that returns copies;",
        "* from Python, recording a 207-byte dict costs about"
        f" {_us(median(redis, 'record: socketio-history'))}, some"
        f" {_x(median(redis, 'record: redis RPUSH+LTRIM') / median(redis, 'record: socketio-history'))}"  # noqa: E501
        " less than an `RPUSH`+`LTRIM` to Redis on loopback; an emit to a 10-member room"
        " costs about"
        f" {_x(median(emit, 'socketio-history') / median(emit, 'history off (python-socketio alone)'))}"  # noqa: E501
        " python-socketio's own (it is recorded and delivered under the server's delivery"
        " lock), and nothing at all in a process where no server uses history (the emit"
        " hook is installed on first use);",
        "* connection state recovery adds about"
        f" {_x(median(rec['emit'], 'recovery on') / median(rec['emit'], 'recovery off'))}"
        f" to such an emit, and restoring a session that missed {rec['missed']:,} events"
        f" takes about {_ms(rec['restore_1000_ns'] / 1e6)};",
        "* an append to a streamed message costs about"
        f" {_x(median(msg['ops'], 'store: append the token') / median(msg['ops'], 'store: record the token'))}"  # noqa: E501
        " a plain record in the store (about"
        f" {_us(median(msg['ops'], 'store: append the token'))} from Python), a"
        f" {msg['stream']['appends']:,}-append stream holds its text once"
        f" ({_x(msg['stream']['snapshots_per_stream'] / msg['stream']['rss_per_stream'])}"
        " less than a snapshot per append), and the latest view of 100 messages is about"
        f" {_x(median(msg['reads'], 'log + fold in Python') / median(msg['reads'], 'latest view (native)'))}"  # noqa: E501
        " faster than folding the log in Python;",
        f"* a retained entry costs {mem['ours'] / mem['raw_bytes_per_entry']:.2f}× its payload"
        " and event name in memory (a pure-Python dict of deques:"
        f" {mem['reference'] / mem['raw_bytes_per_entry']:.1f}×);",
        f"* two threads on distinct rooms record {c['threads_2_speedup']:.1f}× as fast as one"
        " (it varies from run to run on this virtual machine);",
    ]
    scale = py.get("scale", {})
    em = scale.get("emitters", {})
    if "RedisStreamsManager" in em:
        st, pub = em["RedisStreamsManager"]["per_s"], em["RedisManager (pub/sub)"]["per_s"]
        out.append(
            f"* one emitter process on `RedisStreamsManager` makes about {round(st, -3):,.0f}"
            f" emits/s into Redis (batched), {_x(st / pub)} `RedisManager`'s one `PUBLISH`"
            " per emit; session write-through costs one round trip per connect, join or"
            " leave;"
        )
    if "cluster" in scale:
        s, p = scale["cluster"]["streams"], scale["cluster"]["pubsub"]
        out.append(
            f"* in a cluster of {s['nodes']} node processes fed by two emitter processes, an"
            f" emit reaches clients on every node in about {_ms(s['p50'])} at p50 and"
            f" {_ms(s['p99'])} at p99 (pub/sub: {_ms(p['p50'])} and {_ms(p['p99'])}), and"
            f" the nodes sustain about {round(s['throughput'], -2):,.0f} emits/s each"
            f" delivered everywhere, {_x(s['throughput'] / p['throughput'])} `RedisManager`"
            " (python-socketio's own delivery per node is the bound);"
        )
    if "ai" in scale:
        ai = scale["ai"]
        out.append(
            f"* {ai['answers']} AI answers streamed at once across two nodes"
            f" ({ai['answers'] * ai['rate']:,} appends/s) reach {ai['exact']} of"
            f" {ai['clients']} clients with each answer's exact text, p99 about"
            f" {_ms(ai['p99'])} from the `append_message` call on two shared cores;"
        )
    if "storm" in scale:
        sm = scale["storm"]
        line = (
            f"* {sm['clients']:,} official clients dropping at once and missing"
            f" {sm['missed']} events all come back recovered in about"
            f" {sm['recovery_ms'] / 1000:.1f} s, {sm['recovery_ms'] / sm['plain_ms']:.2f}×"
            " python-socketio's own reconnect that recovers nothing (the JS server:"
            f" {sm['js_ms'] / 1000:.1f} s), at"
            f" {sm['recovery_rss_per_client'] / sm['plain_rss_per_client']:.2f}× the memory"
            " per connected client"
        )
        if "plain_nd_ms" in sm:
            line += (
                "; with clients that do not offer permessage-deflate (which"
                " python-engineio's aiohttp driver applies to each of the"
                f" {sm['missed']} extra frames)"
                f" {sm['recovery_nd_ms'] / sm['plain_nd_ms']:.2f}×"
            )
        out.append(line + ".")
    return [wrapped for b in out for wrapped in _wrap(b)]


def _wrap(text, width=76):
    """A bullet wrapped as the README's are (continuation lines indented)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line]


def write(readme, lines):
    """Replace the list between the markers in ``readme`` (a Path)."""
    text = readme.read_text()
    pattern = re.compile(re.escape(START) + r"\n.*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme}: the performance summary's markers are missing")
    block = "\n".join([START, *lines, END])
    readme.write_text(pattern.sub(lambda _: block, text, count=1))

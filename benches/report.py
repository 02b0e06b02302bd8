#!/usr/bin/env python3
"""Rewrite the core section of BENCHMARKS.md from criterion's results.

Reads target/criterion/<group>/<bench>/new/estimates.json (written by the
`cargo bench` run that `make bench` just did) and replaces the text between
the `<!-- core:begin -->` and `<!-- core:end -->` markers.
"""

import json
import os
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
DOC = ROOT / "BENCHMARKS.md"

# (group, bench, what it is, the rows it is compared with)
ROWS = [
    (
        "record",
        "core",
        "record into a full 1,000-entry room (100-byte text)",
        ["floor", "floor_with_clock"],
    ),
    (
        "record",
        "floor",
        "floor: bare `VecDeque` push of a pre-built entry + payload copy",
        [],
    ),
    (
        "record",
        "floor_with_clock",
        "floor + the one monotonic clock read a record needs",
        ["floor"],
    ),
    (
        "record",
        "core_without_clock",
        "record with a zero-cost clock (`ManualClock`)",
        ["floor"],
    ),
    ("record", "lookup_and_locks", "room lookup + its two uncontended locks", []),
    ("record", "clock_read", "`SystemClock::now` alone", []),
    ("fetch", "newest_100", "fetch newest 100 of 10,000", []),
    (
        "fetch",
        "newest_100_filtered",
        "fetch newest 100 of 10,000, include filter (1 of 10 events)",
        [],
    ),
]


def estimate(group, bench):
    path = CRITERION / group / bench / "new" / "estimates.json"
    data = json.loads(path.read_text())
    return data["median"]["point_estimate"], data["median_abs_dev"]["point_estimate"]


def fmt_ns(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1_000 else f"{ns:.1f} ns"


def machine():
    cpu = "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rustc = subprocess.run(
        ["rustc", "--version"], check=False, capture_output=True, text=True
    ).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; {rustc}"


def table():
    results = {(g, b): estimate(g, b) for g, b, _, _ in ROWS}
    lines = [
        f"Machine: {machine()}.",
        "",
        "Command: `make bench-core` (criterion; median of the samples,"
        " ± median absolute deviation).",
        "",
        "| measurement | median | spread (MAD) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for group, bench, what, bases in ROWS:
        med, mad = results[(group, bench)]
        ratio = ", ".join(f"{med / results[(group, b)][0]:.2f}× `{b}`" for b in bases)
        lines.append(f"| `{group}/{bench}`: {what} | {fmt_ns(med)} | ±{fmt_ns(mad)} | {ratio} |")
    return "\n".join(lines)


def main():
    text = DOC.read_text()
    begin, end = "<!-- core:begin -->", "<!-- core:end -->"
    if begin not in text or end not in text:
        sys.exit(f"{DOC} lacks the {begin} / {end} markers")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{begin}\n{table()}\n{end}{tail}")
    print(table())


if __name__ == "__main__":
    main()

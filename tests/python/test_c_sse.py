"""The C example server (examples/c-sse: Server-Sent Events on
libsocketio_history and libmicrohttpd), run under ASan+UBSan and driven by
curl — resuming with Last-Event-ID, a cursor the room can no longer serve,
malformed input, many concurrent streams, streamed appends — and by a real
EventSource in headless Chromium."""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest
import requests
from conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "target" / "c-sse" / "sse_server-asan"
MAX_ENTRIES = 20


class SseServer:
    def __init__(self, data_dir=None):
        if not SERVER.exists():
            skip_or_fail(f"{SERVER} is not built (make test builds it: make c-sse)")
        if shutil.which("curl") is None:
            skip_or_fail("curl is not installed")
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen(
            [str(SERVER), "--port", "0", "--max-entries", str(MAX_ENTRIES), "--keepalive-ms",
             "200", *(["--data-dir", str(data_dir)] if data_dir else [])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )  # fmt: skip
        line = self.proc.stdout.readline()
        match = re.match(r"listening on (\d+)", line)
        assert match, f"the server printed {line!r}: {self.proc.stderr.read()}"
        self.url = f"http://127.0.0.1:{match.group(1)}"

    def post(self, path, body, **params):
        r = requests.post(self.url + path, data=body, params=params, timeout=10)
        return r.status_code, r.json()

    def say(self, room, data, event="chat"):
        code, body = self.post(f"/rooms/{room}/events", json.dumps(data), event=event)
        assert code == 200, body
        return body["seq"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, err


@pytest.fixture
def sse():
    server = SseServer()
    yield server
    code, err = server.stop()
    assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err
    assert "LeakSanitizer" not in err, err
    assert code == 0, err


def parse(text):
    """The events of an SSE stream: dicts of its fields (comments dropped)."""
    events = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if line and not line.startswith(":") and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value[1:] if value.startswith(" ") else value
        if "event" in fields or "data" in fields:
            events.append(fields)
    return events


def curl(url, seconds, last_event_id=None):
    """What curl reads from a stream in ``seconds`` (it then hangs up)."""
    cmd = ["curl", "-sN", "--max-time", str(seconds), url]
    if last_event_id is not None:
        cmd += ["-H", f"Last-Event-ID: {last_event_id}"]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return run.stdout


class Background:
    """curl on a stream in the background, for live events."""

    def __init__(self, url, seconds, last_event_id=None):
        self.out = None
        self.thread = threading.Thread(
            target=lambda: setattr(self, "out", curl(url, seconds, last_event_id))
        )
        self.thread.start()

    def events(self):
        self.thread.join()
        return parse(self.out)


def test_a_client_resumes_with_last_event_id_and_gets_exactly_what_it_missed(sse):
    sse.say("general", {"n": 0})
    stream = sse.url + "/rooms/general/events"
    live = Background(stream, 1.5)
    threading.Event().wait(0.5)  # the stream is open: what follows is live
    sse.say("general", {"n": 1})
    sse.say("general", {"n": 2})
    got = live.events()
    assert [json.loads(e["data"]) for e in got] == [{"n": 1}, {"n": 2}], "live only, in order"
    last = got[-1]["id"]
    for n in (3, 4, 5):
        sse.say("general", {"n": n})
    sse.say("random", {"n": "elsewhere"})
    missed = parse(curl(stream, 1, last_event_id=last))
    assert [json.loads(e["data"]) for e in missed] == [{"n": 3}, {"n": 4}, {"n": 5}]
    epoch, seq = last.rsplit("-", 1)
    assert [e["id"] for e in missed] == [f"{epoch}-{int(seq) + k}" for k in (1, 2, 3)]
    # The query parameter does the same, for EventSource polyfills.
    again = parse(curl(f"{stream}?lastEventId={last}", 1))
    assert [e["id"] for e in again] == [e["id"] for e in missed]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_restarted_server_on_its_data_dir_resumes_last_event_id(tmp_path, how):
    """--data-dir: the store is kept on disk, so a client's Last-Event-ID
    from before a restart (a clean stop or a kill) resumes with exactly what
    it missed and no resync."""
    server = SseServer(data_dir=tmp_path / "store")
    seqs = [server.say("general", {"n": n}) for n in range(5)]
    epoch = requests.get(server.url + "/rooms/general/history", timeout=10).json()["epoch"]
    last = f"{epoch}-{seqs[2]}"  # the client had events 0..2
    if how == "SIGTERM":
        code, err = server.stop()
        assert code == 0 and "ERROR: AddressSanitizer" not in err, err
    else:
        server.proc.kill()
        server.proc.communicate(timeout=20)
    server = SseServer(data_dir=tmp_path / "store")
    try:
        server.say("general", {"n": 5})
        missed = parse(curl(server.url + "/rooms/general/events", 1, last_event_id=last))
        # No resync: exactly the events after the cursor, in the same epoch.
        assert [json.loads(e["data"]) for e in missed] == [{"n": 3}, {"n": 4}, {"n": 5}]
        assert [e["id"] for e in missed] == [f"{epoch}-{s}" for s in (*seqs[3:], seqs[-1] + 1)]
    finally:
        code, err = server.stop()
        assert code == 0 and "LeakSanitizer" not in err, err


def test_a_cursor_the_room_cannot_serve_gets_one_resync_then_live_events(sse):
    first = sse.say("general", {"n": 0})
    stats = requests.get(sse.url + "/rooms/general/history", timeout=10).json()
    cursor = f"{stats['epoch']}-{first}"
    for n in range(1, MAX_ENTRIES + 10):  # the entry after the cursor is evicted
        sse.say("general", {"n": n})
    live = Background(sse.url + "/rooms/general/events", 1.5, last_event_id=cursor)
    threading.Event().wait(0.5)
    sse.say("general", {"n": "live"})
    got = live.events()
    assert [e["event"] for e in got] == ["resync", "chat"]
    resync = json.loads(got[0]["data"])
    assert resync["epoch"] == stats["epoch"] and resync["last_seq"] == MAX_ENTRIES + 10
    assert json.loads(got[1]["data"]) == {"n": "live"}
    # Another epoch (a restarted server) resyncs too.
    other = parse(curl(sse.url + "/rooms/general/events", 0.5, last_event_id="0123456789ab-3"))
    assert [e["event"] for e in other] == ["resync"]
    # The snapshot a resyncing client re-reads: since/before/limit.
    snap = requests.get(
        sse.url + "/rooms/general/history", params={"since": 20, "before": 25}, timeout=10
    ).json()
    assert [e["seq"] for e in snap["entries"]] == [21, 22, 23, 24]
    assert snap["gap"] is False and snap["last_seq"] == MAX_ENTRIES + 11
    newest = requests.get(sse.url + "/rooms/general/history?limit=2", timeout=10).json()
    assert [e["data"] for e in newest["entries"]] == [{"n": MAX_ENTRIES + 9}, {"n": "live"}]
    assert newest["has_more"] is True
    old = requests.get(
        sse.url + "/rooms/general/history", params={"since": 1, "epoch": stats["epoch"]}, timeout=10
    ).json()
    assert old["gap"] is True


@pytest.mark.parametrize(
    "cursor",
    ["nope", "0123456789ab", "0123456789ab-", "0123456789AB-1", "0123456789ai-1",
     "0123456789ab-01", "0123456789ab--1", "0123456789ab-99999999999999999999999",
     "0123456789ab-1x", "0123456789abc-1"],
)  # fmt: skip
def test_a_malformed_cursor_gets_400(sse, cursor):
    r = requests.get(
        sse.url + "/rooms/general/events", headers={"Last-Event-ID": cursor}, timeout=10
    )
    assert r.status_code == 400 and "Last-Event-ID" in r.json()["error"]
    r = requests.get(sse.url + "/rooms/general/events", params={"lastEventId": cursor}, timeout=10)
    assert r.status_code == 400


def test_bad_requests_get_clear_errors_and_change_nothing(sse):
    get = lambda path, **kw: requests.get(sse.url + path, timeout=10, **kw)  # noqa: E731
    assert get("/rooms/nowhere/events").status_code == 404
    assert get("/rooms/general/nothing").status_code == 404
    assert get("/elsewhere").status_code == 404
    for params in ({"since": "-1"}, {"before": "x"}, {"limit": "10001"}, {"limit": ""}):
        r = get("/rooms/general/history", params=params)
        assert r.status_code == 400, params
    assert sse.post("/rooms/general/events", "{not json", event="chat")[0] == 400
    assert sse.post("/rooms/general/events", "{}")[0] == 400  # no event name
    assert sse.post("/rooms/general/events", "x" * (65 * 1024), event="chat")[0] == 413
    assert sse.post("/rooms/general/messages/nope/append", "x")[0] == 404
    assert requests.delete(sse.url + "/rooms/general/events", timeout=10).status_code == 405
    history = get("/rooms/general/history").json()
    assert history["entries"] == [] and history["last_seq"] == 0, "nothing was recorded"


def test_many_concurrent_streams_each_get_every_event_in_order(sse):
    streams = [Background(sse.url + "/rooms/random/events", 3) for _ in range(50)]
    threading.Event().wait(1.0)
    for n in range(10):
        sse.say("random", {"n": n})
    for s in streams:
        assert [json.loads(e["data"])["n"] for e in s.events()] == list(range(10))


def test_streamed_appends_reach_the_stream_and_the_snapshot(sse):
    live = Background(sse.url + "/rooms/general/events", 1.5)
    threading.Event().wait(0.5)
    code, made = sse.post("/rooms/general/messages", '""', event="answer", id="ans-1")
    assert code == 200 and made["message_id"] == "ans-1"
    for part in ("Hel", "lo"):
        assert sse.post("/rooms/general/messages/ans-1/append", part)[0] == 200
    assert sse.post("/rooms/general/messages/ans-1/append", "", final="1")[0] == 200
    assert sse.post("/rooms/general/messages/ans-1/append", "late")[0] == 400
    ops = [json.loads(e["data"]) for e in live.events()]
    assert [o["action"] for o in ops] == ["create", "append", "append", "append"]
    assert "".join(o.get("fragment", "") for o in ops) == "Hello"
    assert ops[-1].get("final") is True and "final" not in ops[1]
    snap = requests.get(sse.url + "/rooms/general/history", timeout=10).json()
    assert {e["message_id"] for e in snap["entries"]} == {"ans-1"}


def test_a_real_eventsource_in_chromium_resumes_after_a_drop(sse):
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if shutil.which("node") is None or not Path(chromium).exists():
        skip_or_fail("node or chromium is not installed (make test installs them as root)")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        skip_or_fail("playwright-core is not installed (make test runs npm ci)")
    proc = subprocess.Popen(
        ["node", str(ROOT / "tests" / "js" / "eventsource.js"), sse.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )

    def step(cmd):
        proc.stdin.write(cmd + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, "the browser driver exited"
        return json.loads(line)

    try:
        assert step("open")["opens"] == 1
        for n in range(3):
            sse.say("general", {"n": n})
        assert [json.loads(g["data"])["n"] for g in step("wait 3")["got"]] == [0, 1, 2]
        assert sse.post("/rooms/general/drop", "")[0] == 200
        for n in range(3, 6):  # while the page is away (it retries after 500 ms)
            sse.say("general", {"n": n})
        state = step("wait 6")
        assert [json.loads(g["data"])["n"] for g in state["got"]] == list(range(6))
        assert state["opens"] == 2, "it reconnected once, with Last-Event-ID"
        ids = [g["id"] for g in state["got"]]
        seqs = [int(i.rsplit("-", 1)[1]) for i in ids]
        assert seqs == list(range(seqs[0], seqs[0] + 6))
        step("screenshot " + str(ROOT / "target" / "test-artifacts" / "c-sse-eventsource.png"))
    finally:
        proc.stdin.close()
        proc.wait(30)
        proc.stdout.close()

"""The web demo (examples/web_demo.py) in headless Chromium, driven by
Playwright (tests/js/browser.js): two pages chat and a third joins late and
gets the history; a page drops its connection and comes back recovered,
same id, with what it missed; edits and deletes reach everyone; a page that
joins mid-answer ends with the whole streamed answer; the server restarts
(a new process on its durable store) and every page comes back recovered;
the name field renames. Screenshots are kept in target/test-artifacts/web."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "target" / "test-artifacts" / "web"
# The scenes run once, in the first test, with a server restart among them.
pytestmark = pytest.mark.timeout(200)


@pytest.fixture(scope="module")
def demo_url():
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        skip_or_fail("playwright-core is not installed (make test runs npm ci)")
    if not (ROOT / "node_modules" / "socket.io-client" / "dist").is_dir():
        skip_or_fail("socket.io-client is not installed (make test runs npm ci)")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "web_demo.py"), "--port", "0",
         "--token-delay", "0.15"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    line = proc.stdout.readline()
    match = re.search(r"http://\S+", line)
    assert match, f"the demo printed {line!r}"
    yield match.group(0)
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


@pytest.fixture(scope="module")
def scenes(demo_url):
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if shutil.which("node") is None or not Path(chromium).exists():
        skip_or_fail("node or chromium is not installed (make test installs them as root)")
    run = subprocess.run(
        ["node", str(ROOT / "tests" / "js" / "browser.js"), demo_url, str(SHOTS)],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=ROOT,
        check=False,
    )
    reports = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    errors = [r for r in reports if r["scene"] == "error"]
    assert not errors and run.returncode == 0, (errors, run.stderr[-2000:])
    return {r["scene"]: r for r in reports}


def test_a_late_joiner_sees_the_history(scenes):
    late = scenes["late"]
    assert late["cat"] == ["ann: hello from ann", "bob: hi ann"]
    assert late["ann"] == late["cat"]


def test_a_dropped_page_comes_back_recovered_with_what_it_missed(scenes):
    rec = scenes["recovery"]
    assert rec["recovered"] is True
    assert rec["after"] == rec["before"], "the same id"
    assert rec["bob"] == rec["ann"]
    assert rec["bob"][-2:] == ["ann: while bob was away 1", "ann: while bob was away 2"]


def test_edits_and_deletes_reach_every_page(scenes):
    cat = scenes["edits"]["cat"]
    assert cat[0] == "ann: hello, edited (edited)"
    assert "ann: (deleted)" in cat


def test_a_page_that_joins_mid_answer_ends_with_the_whole_answer(scenes):
    answer = scenes["answer"]
    whole = answer["ann"][-1]
    assert len(whole.split(" ")) > 20
    assert answer["dan"] == [whole]
    midway = answer["midway"][0]
    assert whole.startswith(midway) and len(midway) < len(whole), "joined mid-answer"


def test_pages_come_back_recovered_after_a_server_restart(scenes):
    r = scenes["restart"]
    assert r["recovered"] == {"ann": True, "bob": True}
    assert r["after"] == r["before"], "the same ids, from a new process"
    assert r["bob"][-1] == "ann: after the restart"
    # A page opened after the restart gets the history from before it.
    assert "ann: while bob was away 2" in r["eve"]
    assert r["eve"][-1] == "ann: after the restart"


def test_the_name_field_renames(scenes):
    r = scenes["rename"]
    assert r["me"] == "cato"
    assert r["bob"][-1] == "cato: renamed"


def test_screenshots_are_kept(scenes):
    names = sorted(p.name for p in SHOTS.glob("*.png"))
    assert "2-recovered-bob.png" in names and len(names) >= 7

"""The demos `make demo` runs work: each is run as a user would, and what it
prints is checked."""

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_chat_demo():
    out = run("chat_demo.py")
    assert "carol joins late and receives 7 messages of history:" in out
    assert "gap=True (the client should resync)" in out


def test_the_assistant_demo():
    out = run("assistant_demo.py")
    answer = "'Connection state recovery replays what you missed.'"
    assert "the answer so far is 'Connection state recovery '" in out
    assert f"both see the whole answer: {answer}" in out
    assert "bob tries to delete alice's question: refused" in out
    # Both screens end the same: the edited question and the whole answer.
    screens = out.split("'s screen:\n")[1:]
    assert len(screens) == 2
    assert screens[0].split("\n\n")[0] == screens[1].split("\n\n")[0]
    assert "alice: how do clients get missed events back?" in screens[0]
    assert "answer-1: version 8, 7 appends, final=True" in out
    assert "seq  2   chat deleted None" in out

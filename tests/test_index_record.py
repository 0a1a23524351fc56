"""Recorded for real through `cs record` (and the real Claude Code CLI in tmux),
then asked through the real `cs`: what the screen showed is what search finds."""

import base64
import json
import subprocess
import sys

import pytest

from tests.helpers.shell import logs

# An Ink-like program: words separated by cursor moves, a line streamed in
# three redraws (erase line, redraw longer), a spinner on the row below.
INK_SCRIPT = r"""
import sys, time
w = sys.stdout.buffer.write
gap = b"\x1b[1C"
def frame(words, spin):
    w(b"\r\x1b[2K" + gap.join(words) + b"\r\n\x1b[2K" + spin + b" Working\x1b[1A\r")
    sys.stdout.flush(); time.sleep(0.02)
words = b"build failed with error E4242 in module".split()
for i, spin in zip((2, 4, len(words)), (b"-", b"\\", b"|")):
    frame(words[:i], spin)
w(b"\r\x1b[2K" + gap.join(words) + b"\r\n\x1b[2K" + b"done\r\n")
sys.exit(3)
"""


def run(cs_exe, *args, check=True, **kw):
    proc = subprocess.run([cs_exe, *args], capture_output=True, timeout=60, **kw)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    if check:
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


def json_lines(proc):
    return [json.loads(l) for l in proc.stdout.decode().splitlines() if l.strip()]


def test_recorded_ink_output_is_found_once_as_the_screen_showed_it(cs_exe, cs_home, tmp_path):
    project = tmp_path / "myproj"
    project.mkdir()
    rec = subprocess.run(
        [cs_exe, "record", "--", sys.executable, "-c", INK_SCRIPT], cwd=project, capture_output=True, timeout=60
    )
    assert rec.returncode == 3
    hits = json_lines(run(cs_exe, "search", "--jsonl", '"failed with error"'))
    assert [h["text"] for h in hits] == ["build failed with error E4242 in module"]
    # Three redraws, one line; rg over the raw bytes would not even see the phrase.
    assert len(json_lines(run(cs_exe, "search", "--jsonl", "E4242"))) == 1
    (session,) = json_lines(run(cs_exe, "list", "--jsonl"))
    assert session["exit_code"] == 3 and session["status"] == "finished"
    assert session["project"] == "myproj" and session["cwd"] == str(project)
    assert hits[0]["session_id"] == session["id"]
    raw = run(cs_exe, "show", "--raw", session["id"][:8]).stdout
    assert b"failed with error" not in raw and b"E4242" in raw
    (log,) = logs(cs_home)
    decoded = b"".join(
        base64.b64decode(r["data"])
        for r in map(json.loads, log.read_bytes().splitlines())
        if r.get("direction") == "output"
    )
    assert raw == decoded
    shown = run(cs_exe, "show", session["id"][:8]).stdout.decode().splitlines()
    assert "build failed with error E4242 in module" in shown
    assert run(cs_exe, "replay", "--no-wait", session["id"][:8]).stdout == raw


@pytest.mark.slow
def test_real_claude_conversation_is_searchable(tmux_bin, world, cs_exe, cs_home, api):
    from tests.helpers.claude import PROMPT, REPLY, run_conversation

    during, _after = run_conversation(tmux_bin, world, "bash", with_cs=True)
    assert REPLY in during
    env = dict(world["env"])
    phrase = " ".join(REPLY.split()[1:4])  # "purple otters juggle": words drawn with cursor gaps
    proc = subprocess.run([cs_exe, "search", "--jsonl", "--output", phrase], env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    hits = json_lines(proc)
    assert hits and all(phrase in h["text"] for h in hits)
    assert any(REPLY in h["text"] for h in hits)
    assert {h["project"] for h in hits} == {"project"}
    typed = json_lines(
        subprocess.run([cs_exe, "search", "--jsonl", "--input", PROMPT], env=env, capture_output=True, timeout=60)
    )
    assert [h["text"] for h in typed] == [PROMPT]
    listed = json_lines(subprocess.run([cs_exe, "list", "--jsonl"], env=env, capture_output=True, timeout=60))
    assert len(listed) == 1 and listed[0]["exit_code"] == 0 and listed[0]["status"] == "finished"
    resume = [l for l in _after.splitlines() if "claude --resume" in l]
    if resume:  # claude printed its own session id on exit; the recorder kept it
        assert listed[0]["claude_session_id"] == resume[0].split("--resume", 1)[1].strip()

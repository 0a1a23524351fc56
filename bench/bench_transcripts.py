#!/usr/bin/env python3
"""Transcript indexing benchmark: how fast cs archives and indexes Claude Code's
own transcripts, and how much the index grows.

Generates a corpus of transcripts shaped like real ones (Claude Code 2.1's
line types: queue operations, attachments, prompts, replies written one line
per content block with the same usage, tool calls, tool results ~70 % of the
text, cost-state lines), each with a finished recording of `claude` that names
it (a `claude_session` event line), then times `cs index` (whole command, cold)
on it: MB of transcript per second, and index growth per MB of transcript.
Anchor: the same files read and JSON-parsed line by line by Python alone
(the floor any indexer written in Python pays).

Usage: python bench/bench_transcripts.py [--mb 50] [--sessions 50] [--keep DIR]
(the figure in docs/benchmarks.md used --mb 500 where stated)

`--unrecorded` (issue 24): the same transcripts with no recording at all, under
`<root>/home/.claude/projects` (a HOME as a heavy Claude Code user has it), so
every one becomes a transcript-only session. Timed: a first reading command on
a fresh cs home (`cs list`: its catch-up has a time budget, it must answer
within it), the first `cs index` (the rest of the take-in), then idle passes:
`cs index` again, `cs list` (a reading command's catch-up), and the take-in
alone in-process (cs.claude.unrecorded.take_in: stat every transcript, read
none). docs/benchmarks.md used `--unrecorded --mb 1000 --sessions 2000`.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cs.log import jsonl, paths, store  # noqa: E402

WORDS = (
    "the function returns none when config file is missing so we read the default path and then "
    "check permissions before writing tests for every branch of the parser"
).split()


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def transcript_lines(rng, sid, cwd, t0, target_bytes):
    out, size, turn, ts = [], 0, 0, t0
    common = {"sessionId": sid, "cwd": cwd, "version": "2.1.330", "gitBranch": "main", "userType": "external"}

    def stamp():
        nonlocal ts
        ts += rng.uniform(0.2, 3)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".000Z"

    while size < target_bytes:
        turn += 1
        lines = [
            {"type": "queue-operation", "operation": "enqueue", "timestamp": stamp(), "sessionId": sid},
            dict(
                common,
                type="user",
                uuid=str(uuid.uuid4()),
                timestamp=stamp(),
                message={"role": "user", "content": text(rng, rng.randint(5, 40))},
            ),
            dict(
                common,
                type="attachment",
                uuid=str(uuid.uuid4()),
                timestamp=stamp(),
                attachment={"type": "environment", "snapshot": {"workingDirectory": cwd}},
            ),
        ]
        for _call in range(rng.randint(1, 4)):
            msg, req = f"msg_{uuid.uuid4().hex[:24]}", f"req_{uuid.uuid4().hex[:24]}"
            usage = {
                "input_tokens": rng.randint(10, 5000),
                "output_tokens": rng.randint(10, 900),
                "cache_read_input_tokens": rng.randint(0, 90000),
                "cache_creation_input_tokens": rng.randint(0, 5000),
            }
            for block in (
                {"type": "text", "text": text(rng, rng.randint(10, 80))},
                {
                    "type": "tool_use",
                    "id": "toolu_" + uuid.uuid4().hex[:20],
                    "name": "Bash",
                    "input": {"command": text(rng, 6)},
                },
            ):
                lines.append(
                    dict(
                        common,
                        type="assistant",
                        uuid=str(uuid.uuid4()),
                        timestamp=stamp(),
                        requestId=req,
                        message={
                            "id": msg,
                            "role": "assistant",
                            "model": "claude-opus-5-5",
                            "content": [block],
                            "usage": usage,
                        },
                    )
                )
            result = text(rng, rng.randint(150, 900))  # tool results: most of the text
            lines.append(
                dict(
                    common,
                    type="user",
                    uuid=str(uuid.uuid4()),
                    timestamp=stamp(),
                    message={
                        "role": "user",
                        "content": [{"type": "tool_result", "tool_use_id": "t", "content": result}],
                    },
                )
            )
        lines.append({"type": "cost-state", "sessionId": sid, "totalCostUSD": 0.1})
        for record in lines:
            raw = json.dumps(record) + "\n"
            out.append(raw)
            size += len(raw)
    return out, ts


def build(root: Path, mb: float, sessions: int, seed: int = 7, recorded: bool = True):
    rng = random.Random(seed)
    home = root / "cs-home"
    config = root / "claude-config" if recorded else root / "home" / ".claude"
    os.environ["CS_HOME"] = str(home)
    logs = paths.ensure_private_dir(paths.logs_dir())
    per = int(mb * 1e6 / sessions)
    total = 0
    for i in range(sessions):
        sid = str(uuid.uuid4())
        cwd = f"/home/u/project-{i % 7}"
        t0 = time.time() - 86400 * (sessions - i)
        lines, t_end = transcript_lines(rng, sid, cwd, t0, per)
        folder = config / "projects" / cwd.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        data = "".join(lines).encode()
        (folder / f"{sid}.jsonl").write_bytes(data)
        total += len(data)
        if not recorded:
            continue
        log = b"".join(
            [
                jsonl.event_line(
                    sid, "start", {"argv": ["claude"], "cwd": cwd, "cols": 80, "rows": 24, "format": 1}, t0
                ),
                jsonl.event_line(
                    sid,
                    "claude_session",
                    {"claude_session_id": sid, "how": "session-id", "config_dir": str(config)},
                    t0,
                ),
                jsonl.io_line(sid, "output", b"working...\r\n", t0 + 1),
                jsonl.event_line(sid, "end", {"exit_code": 0}, t_end + 1),
            ]
        )
        fd = paths.create_private_file(logs / store.segment_name(sid), append=False)
        os.write(fd, log)
        os.close(fd)
    return home, config, total


def python_floor(config: Path) -> float:
    started = time.perf_counter()
    for path in (config / "projects").rglob("*.jsonl"):
        with open(path, "rb") as f:
            for line in f:
                json.loads(line)
    return time.perf_counter() - started


def timed(cmd, env):
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr}")
    return seconds, proc


def median_of(n, cmd, env):
    return sorted(timed(cmd, env)[0] for _ in range(n))[n // 2]


def unrecorded(root: Path, args, cs: str):
    """Issue 24: transcripts no recording links, taken in from ~/.claude."""
    home, config, total = build(root, args.mb, args.sessions, recorded=False)
    env = dict(os.environ, CS_HOME=str(home), HOME=str(root / "home"), CS_NO_DAEMON="1")
    env.pop("CLAUDE_CONFIG_DIR", None)
    print(f"transcripts: {total / 1e6:.1f} MB in {args.sessions} files under {config}/projects, none recorded")
    fresh = dict(env, CS_HOME=str(root / "cs-home-first-reader"))
    seconds, proc = timed([cs, "list", "--json"], fresh)
    taken = len(json.loads(proc.stdout or "[]"))
    said = proc.stderr.strip().splitlines()
    print(f"first reading command on a fresh cs home (cs list): {seconds:.2f} s, answered with {taken} sessions")
    print(f"  it said: {' | '.join(said) if said else '(nothing)'}")
    shutil.rmtree(root / "cs-home-first-reader", ignore_errors=True)
    seconds, proc = timed([cs, "index"], env)
    print(f"first pass, cs index (archive + index, whole command): {seconds:.2f} s = {total / 1e6 / seconds:.1f} MB/s")
    print(f"  it said: {proc.stdout.strip()}")
    idle_index = median_of(5, [cs, "index", "-q"], env)
    idle_list = median_of(5, [cs, "list", "--limit", "1"], env)
    baseline = dict(env, HOME=str(root / "empty-home"))
    os.makedirs(root / "empty-home", exist_ok=True)
    idle_list_none = median_of(5, [cs, "list", "--limit", "1"], baseline)
    print(f"idle pass, cs index (whole command, median of 5): {idle_index * 1000:.0f} ms")
    print(
        f"idle reading command, cs list --limit 1 (median of 5): {idle_list * 1000:.0f} ms; the same with no "
        f"~/.claude to look at: {idle_list_none * 1000:.0f} ms"
    )
    code = (
        "import time\n"
        "from cs.index import indexer\n"
        "from cs.claude import unrecorded\n"
        "db = indexer.open_index()\n"
        "ts = []\n"
        "for _ in range(7):\n"
        "    t = time.perf_counter()\n"
        "    r = unrecorded.take_in(db)\n"
        "    ts.append(time.perf_counter() - t)\n"
        "print(f'{sorted(ts)[3] * 1000:.1f} {r.seen} {r.archived}')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    ms, seen, archived = out.split()
    print(f"idle take-in alone (in-process, median of 7): {ms} ms for {seen} transcripts, {archived} archived")
    db_size = sum(p.stat().st_size for p in home.glob("index.db*"))
    archived_bytes = sum(p.stat().st_size for p in (home / "claude").rglob("*") if p.is_file())
    print(f"index: {db_size / 1e6:.1f} MB; archive copy {archived_bytes / 1e6:.1f} MB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--keep")
    ap.add_argument("--unrecorded", action="store_true", help="transcripts no recording links (issue 24)")
    args = ap.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="cs-bench-transcripts-"))
    cs = str(Path(sys.executable).parent / "cs")
    if args.unrecorded:
        try:
            unrecorded(root, args, cs)
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        return
    try:
        home, config, total = build(root, args.mb, args.sessions)
        env = dict(os.environ, CS_HOME=str(home), CLAUDE_CONFIG_DIR=str(config))
        started = time.perf_counter()
        subprocess.run([cs, "index", "-q"], env=env, check=True)
        seconds = time.perf_counter() - started
        floor = python_floor(config)
        db_size = sum(p.stat().st_size for p in home.glob("index.db*"))
        archived = sum(p.stat().st_size for p in (home / "claude").rglob("*") if p.is_file())
        hits = subprocess.run(
            [cs, "search", "--jsonl", "--source", "transcript", "--limit", "5", "permissions"],
            env=env,
            capture_output=True,
            text=True,
        )
        print(f"transcripts: {total / 1e6:.1f} MB in {args.sessions} sessions (tool results ~70 % of the text)")
        print(f"cs index (archive + index, whole command): {seconds:.2f} s = {total / 1e6 / seconds:.1f} MB/s")
        print(
            f"anchor, json.loads of every line in Python: {floor:.2f} s = {total / 1e6 / floor:.1f} MB/s "
            f"-> cs takes {seconds / floor:.1f}x the parse floor"
        )
        print(
            f"index growth: {db_size / 1e6:.1f} MB ({db_size / total:.2f} per MB of transcript); "
            f"archive copy {archived / 1e6:.1f} MB; search found {len(hits.stdout.splitlines())} hits (limit 5)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

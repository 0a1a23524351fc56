#!/usr/bin/env python3
"""Playback benchmark: seek to first frame, export throughput, tail latency.

    .venv/bin/python bench/bench_playback.py [--mb 200] [--export-mb 20] [--tail-samples 40]
                                             [--only seek|export|tail] [--corpus fullscreen|claude]

* **seek**: a session log of `--mb` MB of Claude Code 2.x style output
  (bench_render's `fullscreen` corpus: alternate screen, rows repainted in
  place, ~100-byte reads, a few MB generated and repeated), written with the
  recorder's encoders. Measured: the whole command `cs replay ID --at 50%`
  (and 10%, 90%) from its start to the first byte of its repaint on a pipe,
  best of 3.
* **export**: `cs export ID --format F -o FILE` on an `--export-mb` MB
  session of the same output, for each format, in MB of log per second.
* **tail latency**: `cs record` runs a child that writes a token holding its
  CLOCK_MONOTONIC time every 25 ms; `cs tail -f` of that session is read on a
  pipe, and each token's delay from its write to its arrival is measured
  (the clock is shared by all processes of the machine). p50 and p95.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cs.log import jsonl

CS = str(Path(sys.executable).parent / "cs")


CORPUS = {"name": "fullscreen"}


def corpus_chunks(cols, rows, mb):
    """The output chunks repeated to make a session: bench_render's synthetic
    `fullscreen` corpus, or (--corpus claude) a real Claude Code session
    recorded now in a PTY against the loopback fake API, in its real reads."""
    import bench_render

    if CORPUS["name"] == "claude":
        if "chunks" not in CORPUS:
            chunks = bench_render.record_claude(turns=3, cols=cols, rows=rows)
            if not chunks:
                sys.exit("the claude CLI is not installed")
            start = next(i for i, c in enumerate(chunks) if b"\x1b[?1049h" in c) + 1
            CORPUS["chunks"] = chunks[:start] + chunks[start:-5]  # no exit: stay on its screen
        return CORPUS["chunks"]
    return bench_render.make_corpus(min(mb, 4) * 0.4, "fullscreen", cols, rows)


def write_session(logs: Path, mb: float, cols=100, rows=30) -> str:
    """A finished session of about `mb` MB of log, one chunk per line as recorded."""
    chunks = corpus_chunks(cols, rows, mb)
    sid = str(uuid.uuid4())
    t = time.time() - 3600
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{sid}.jsonl", "wb") as f:
        f.write(
            jsonl.event_line(
                sid,
                "start",
                {
                    "format": 1,
                    "argv": ["claude"],
                    "cwd": "/tmp/p",
                    "cols": cols,
                    "rows": rows,
                    "term": "xterm-256color",
                },
                t,
            )
        )
        size, i = 0, 0
        while size < mb * 1e6:
            line = jsonl.io_line(sid, "output", chunks[i % len(chunks)], t)
            if i % 40 == 0:
                line += jsonl.io_line(sid, "input", b"x", t)
            if i % 4000 == 3999:
                line += jsonl.io_line(sid, "input", b"\r", t)
            f.write(line)
            size += len(line)
            i += 1
            t += 0.01
        f.write(jsonl.event_line(sid, "end", {"exit_code": 0, "duration": 1.0}, t))
    return sid


def first_byte_seconds(env, sid, at) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen([CS, "replay", sid, "--at", at], stdout=subprocess.PIPE, env=env)
    proc.stdout.read(1)
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    return elapsed


def bench_seek(home: Path, mb: float) -> dict:
    env = dict(os.environ, CS_HOME=str(home))
    t = time.perf_counter()
    sid = write_session(home / "logs", mb)
    size = (home / "logs" / f"{sid}.jsonl").stat().st_size
    print(f"seek: wrote a {size / 1e6:.0f} MB session in {time.perf_counter() - t:.0f} s", flush=True)
    subprocess.run([CS, "index"], env=env, check=True, capture_output=True)
    out = {"log_mb": round(size / 1e6, 1)}
    for at in ("10%", "50%", "90%"):
        out[at] = round(min(first_byte_seconds(env, sid, at) for _ in range(3)), 3)
        print(f"seek --at {at}: first frame after {out[at]} s", flush=True)
    return out


def bench_export(home: Path, mb: float) -> dict:
    env = dict(os.environ, CS_HOME=str(home))
    sid = write_session(home / "logs", mb)
    size = (home / "logs" / f"{sid}.jsonl").stat().st_size
    subprocess.run([CS, "index"], env=env, check=True, capture_output=True)
    out = {"log_mb": round(size / 1e6, 1)}
    for fmt in ("asciicast", "asciicast-v2", "text", "html", "archive"):
        target = home / f"out.{fmt}"
        t = time.perf_counter()
        subprocess.run([CS, "export", sid, "--format", fmt, "-o", str(target), "--force"], env=env, check=True)
        elapsed = time.perf_counter() - t
        out[fmt] = round(size / 1e6 / elapsed, 1)
        print(f"export {fmt}: {out[fmt]} MB/s of log ({elapsed:.1f} s)", flush=True)
    return out


CHILD = """
import os, time
for i in range({n}):
    os.write(1, b"T%d.\\r\\n" % time.monotonic_ns())
    time.sleep(0.025)
"""


def bench_tail(home: Path, samples: int) -> dict:
    import ptyprocess

    env = dict(os.environ, CS_HOME=str(home), CS_NO_DAEMON="1")
    child = ptyprocess.PtyProcess.spawn(
        [CS, "record", "--", sys.executable, "-c", "import time; time.sleep(1.5)\n" + CHILD.format(n=samples)],
        env=env,
        dimensions=(24, 80),
    )
    logs = home / "logs"
    while not (logs.exists() and any(logs.iterdir())):
        time.sleep(0.05)
    sid = next(logs.iterdir()).name.split(".")[0]
    tail = subprocess.Popen([CS, "tail", sid, "-f"], stdout=subprocess.PIPE, env=env)
    delays, buf = [], b""
    while True:
        chunk = tail.stdout.read1(65536)
        now = time.monotonic_ns()
        if not chunk:
            break
        buf += chunk
        for m in re.finditer(rb"T(\d+)\.", buf):
            delays.append((now - int(m.group(1))) / 1e6)
        buf = buf[buf.rfind(b".") :] if b"." in buf else buf
    while child.isalive():
        child.read(65536) if child.isalive() else None
    # The tail begins with the current screen: tokens written before it started
    # are not latencies. Keep those that arrived after the tail's own start.
    delays = [d for d in delays if d < 1000]
    out = {
        "samples": len(delays),
        "p50_ms": round(statistics.median(delays), 1),
        "p95_ms": round(sorted(delays)[int(len(delays) * 0.95) - 1], 1),
    }
    print(f"tail: {out}", flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=200, help="size of the session to seek into")
    ap.add_argument("--export-mb", type=float, default=20, help="size of the session to export")
    ap.add_argument("--tail-samples", type=int, default=40)
    ap.add_argument("--only", choices=("seek", "export", "tail"))
    ap.add_argument(
        "--corpus",
        choices=("fullscreen", "claude"),
        default="fullscreen",
        help="claude: record a real Claude Code session first (about 40 s)",
    )
    args = ap.parse_args(argv)
    CORPUS["name"] = args.corpus
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "seek"):
            bench_seek(Path(tmp) / "seek", args.mb)
        if args.only in (None, "export"):
            bench_export(Path(tmp) / "export", args.export_mb)
        if args.only in (None, "tail"):
            bench_tail(Path(tmp) / "tail", args.tail_samples)


if __name__ == "__main__":
    main()

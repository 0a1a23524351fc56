#!/usr/bin/env python3
"""`cs web` benchmark: the real server on loopback, measured from a client.

  * sessions list at N sessions (default 10,000): time to first byte and to the
    whole page (the first page of 50, as a browser gets it), and /api/sessions;
  * search API p50 on that corpus (warm server), several queries;
  * time to the first frame of a hit in a big session (default 200 MB): the
    cast window the player loads (/api/session/<id>/cast?at=50%);
  * live latency: a line written by a child recorded through `cs record` to the
    moment its event arrives on the live SSE stream.

Anchors: `cs search` and `cs list` from the command line on the same corpus.
Usage: python bench/bench_web.py [--sessions 10000] [--big-mb 200] [--runs 10]
"""

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repository, for tests.helpers and bench

from bench.bench_playback import write_session  # noqa: I001
from tests.helpers.logs import make_session
from tests.helpers.sessions import index_rows_directly
from tests.helpers.web import web_server

CS = str(Path(sys.executable).parent / "cs")


def request(base, path, token, first_byte=False):
    host, port = base.rsplit("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"cs_web={token}"})
    response = conn.getresponse()
    response.read(1)
    ttfb = time.perf_counter() - started
    response.read()
    total = time.perf_counter() - started
    conn.close()
    assert response.status == 200, (path, response.status)
    return ttfb, total


def p50(values):
    return statistics.median(values) * 1000


def live_latency(base, token, samples: int) -> list:
    """A child prints its own clock every 0.2 s; the SSE reader compares."""
    code = (
        "import time, sys\n"
        f"for i in range({samples}):\n"
        "    time.sleep(0.2)\n"
        "    print(f'T={time.time():.6f}', flush=True)\n"
    )
    logs = Path(os.environ["CS_HOME"]) / "logs"
    before = set(logs.glob("*.jsonl"))
    child = subprocess.Popen(
        [CS, "record", "--", sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 10
        sid = None
        while sid is None and time.time() < deadline:
            new = set(logs.glob("*.jsonl")) - before
            if new:
                sid = new.pop().name[:36]
            time.sleep(0.02)
        host, port = base.rsplit("//", 1)[1].rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", f"/api/session/{sid}/live", headers={"Cookie": f"cs_web={token}"})
        response = conn.getresponse()
        delays, buffer = [], b""
        while len(delays) < samples - 1:
            chunk = response.read1(65536)
            if not chunk:
                break
            now = time.time()
            buffer += chunk
            for part in buffer.split(b"T=")[1:]:
                try:
                    sent = float(part[:17])
                except ValueError:
                    continue
                delays.append(now - sent)
            buffer = buffer[-32:]
        conn.close()
        return delays
    finally:
        child.kill()
        child.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--big-mb", type=float, default=200)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cs-bench-web-"))
    os.environ["CS_HOME"] = str(root / "home")
    try:
        logs = root / "home" / "logs"
        started = time.perf_counter()
        sids = [make_session(logs, i / 100 + 1, chunks=4, chunk_bytes=120) for i in range(args.sessions)]
        index_rows_directly(logs, sids)
        big = write_session(logs, args.big_mb)
        subprocess.run([CS, "index", "-q"], check=True)
        print(
            f"corpus: {args.sessions} sessions + one of {args.big_mb:g} MB, built in {time.perf_counter() - started:.0f} s"
        )
        cli = [subprocess.run([CS, "list", "--jsonl", "-n", "50"], capture_output=True) for _ in range(3)]
        assert all(p.returncode == 0 for p in cli)
        cli_times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run([CS, "search", "--jsonl", "chunk 3 of"], capture_output=True)
            cli_times.append(time.perf_counter() - t)
        with web_server() as (base, token):
            request(base, "/", token)  # warm
            pages = [request(base, "/", token) for _ in range(args.runs)]
            api = [request(base, "/api/sessions", token) for _ in range(args.runs)]
            search = [
                request(base, f"/api/search?q={q}", token)
                for q in ("chunk+3+of", "chunk", "last+words")
                for _ in range(args.runs)
            ]
            casts = [request(base, f"/api/session/{big}/cast?at=50%25", token) for _ in range(3)]
            delays = live_latency(base, token, 20)
        print(
            f"sessions page, {args.sessions} sessions: TTFB p50 {p50([p[0] for p in pages]):.0f} ms, "
            f"whole page {p50([p[1] for p in pages]):.0f} ms; /api/sessions {p50([a[1] for a in api]):.0f} ms"
        )
        print(
            f"search API p50 (warm server): {p50([s[1] for s in search]):.0f} ms; "
            f"anchor `cs search` whole command p50: {p50(cli_times):.0f} ms "
            f"({p50([s[1] for s in search]) / p50(cli_times):.2f}x)"
        )
        print(
            f"first frame of a hit at 50% of {args.big_mb:g} MB (cast window): p50 {p50([c[1] for c in casts]):.0f} ms"
        )
        if delays:
            print(
                f"live latency child -> SSE client: p50 {p50(delays):.0f} ms, max {max(delays) * 1000:.0f} ms "
                f"({len(delays)} samples)"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Indexing speed with redaction on vs off (issue 13: at most 10 % slower).

Generates bench_index.py's corpus (Claude-like Ink sessions and plain ones),
then rebuilds the index from it in this process (`cs.index.indexer.rebuild`,
what `cs index --rebuild` runs) alternately with `redact = on` and `off`,
`--runs` times each, and prints the best and median time of each mode and the
difference. Also times the Redactor alone on the rendered lines.

Usage: python bench/bench_redact.py [--sessions 20] [--mb 20] [--runs 3]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_index import generate  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        logs, _raw, _codes, _ = generate(root, args.sessions, args.mb)
        os.environ["CS_HOME"] = str(root / "home")
        from cs import config
        from cs.index import indexer
        from cs.log import paths

        size = sum(p.stat().st_size for p in logs.iterdir())
        times = {"on": [], "off": []}
        for _ in range(args.runs):
            for mode in ("off", "on"):
                config.set_value("redact", mode)
                db = paths.db_path()
                for suffix in ("", "-wal", "-shm"):
                    Path(str(db) + suffix).unlink(missing_ok=True)
                t = time.perf_counter()
                indexer.rebuild(db)
                times[mode].append(time.perf_counter() - t)
        import sqlite3

        conn = sqlite3.connect(paths.db_path())
        lines = [r[0] for r in conn.execute("SELECT text FROM lines WHERE direction = 'output'")]
        conn.close()
        from cs.redact import Redactor

        red = Redactor()
        t = time.perf_counter()
        red.lines(lines)
        per_line = (time.perf_counter() - t) / max(1, len(lines))
    print(f"corpus: {args.sessions} sessions, {size / 1e6:.1f} MB of log, {len(lines)} distinct output lines")
    for mode in ("off", "on"):
        best, med = min(times[mode]), statistics.median(times[mode])
        print(f"redact {mode:3}: best {best:.2f} s ({size / 1e6 / best:.1f} MB/s), median {med:.2f} s")
    best = min(times["on"]) / min(times["off"]) - 1
    med = statistics.median(times["on"]) / statistics.median(times["off"]) - 1
    print(f"redaction costs {best * 100:+.1f} % (best), {med * 100:+.1f} % (median)")
    print(f"Redactor.lines alone: {per_line * 1e6:.2f} us per line")


if __name__ == "__main__":
    main()

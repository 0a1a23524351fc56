#!/usr/bin/env python3
"""Reading commands when nothing is new: `cs search`, `cs list`, `cs show`, whole
commands, against ripgrep over the same sessions, in the same run.

The corpus is bench_index.py's (Claude-like Ink sessions, every 5th one ordinary
text, written with cs.log's encoders, plus the decoded output beside them for
rg), built once into --corpus and indexed with `cs index`; later runs reuse it.

Measured, interleaved so that the machine's load hits all alike (p50 of --runs
rounds): `cs search --limit 20 Q` for the queries of bench_index.py (four words,
one error code, one phrase) and `rg -c -F Q` over the raw output (the anchor);
`cs list --limit 20`, `cs list`, `cs show ID` (the session of median size); and
`python -c pass` with the same interpreter (the floor).

Measure what users run: a regular install, not the editable one (its import
finder costs every Python start about 10 ms), with bytecode (the script unsets
PYTHONDONTWRITEBYTECODE for the commands it times):

    python3 -m venv /tmp/search-venv && /tmp/search-venv/bin/pip install .
    python3 bench/bench_search.py --cs /tmp/search-venv/bin/cs --sessions 500 --mb 1000 --corpus /tmp/cs-search-1g
    python3 bench/bench_search.py --cs /tmp/search-venv/bin/cs --sessions 10000 --mb 50 --corpus /tmp/cs-search-10k
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # noqa: E402
from bench.bench_index import PHRASE, generate, words_vocab  # noqa: E402


def build(root: Path, sessions: int, mb: float, cs: str, env: dict) -> None:
    print(f"building {sessions} sessions / {mb:g} MB into {root} ...", flush=True)
    root.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    _logs, _raw, codes, _ = generate(root, sessions, mb, keep_chunks=False)
    (root / "codes.json").write_text(json.dumps(codes))
    print(f"  generated in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    subprocess.run([cs, "index", "-q"], env=env, check=True)
    print(f"  indexed in {time.perf_counter() - t:.0f} s", flush=True)


def editable(cs: str) -> bool:
    """True if `cs` runs from an editable install (a finder .pth in its site-packages)."""
    bindir = Path(cs).resolve().parent
    return any(bindir.parent.glob("lib/python*/site-packages/__editable__*cs_sessions*"))


def p50_ms(values) -> float:
    return statistics.median(values) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cs", default=str(Path(sys.executable).parent / "cs"), help="the cs to time")
    ap.add_argument("--corpus", default="/tmp/cs-search-1g", help="built here if missing, else reused")
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--mb", type=float, default=1000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()

    root = Path(args.corpus)
    env = dict(os.environ, CS_HOME=str(root / "home"), NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users have bytecode
    if not (root / "home" / "index.db").exists():
        build(root, args.sessions, args.mb, args.cs, env)
    if editable(args.cs):
        print("note: this cs is an editable install (about 10 ms more per start than `pip install .`)")
    raw = root / "raw"
    logs = root / "home" / "logs"
    sizes = sorted((p.stat().st_size, p.name.split(".")[0]) for p in logs.iterdir())
    log_mb = sum(s for s, _ in sizes) / 1e6
    median_sid = sizes[len(sizes) // 2][1]
    codes = json.loads((root / "codes.json").read_text()) if (root / "codes.json").exists() else []
    rng = random.Random(2)
    vocab = words_vocab(random.Random(1))
    queries = [rng.choice(vocab) for _ in range(4)] + [codes[len(codes) // 2] if codes else "Claude", PHRASE]
    python = str(Path(args.cs).parent / "python")

    def timed(cmd):
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - t
        assert proc.returncode in (0, 1), (cmd, proc.stderr)
        return elapsed, proc.stderr

    # Warm up: the page cache, and the catch-up's first pass after the build
    # (which stores the watermark once logs/ is older than 2 s).
    time.sleep(2.1)
    for _ in range(2):
        for q in queries:
            _, err = timed([args.cs, "search", "--limit", "20", q])
            assert not err, err  # nothing new: no stale warning
        timed(["rg", "-c", "--no-messages", "-F", queries[0], str(raw)])
    kinds = {"search": [], "rg": [], "list -n 20": [], "list": [], "show": [], "python -c pass": []}
    per_query = {q: ([], []) for q in queries}
    for _ in range(args.runs):
        for q in queries:
            t, _ = timed([args.cs, "search", "--limit", "20", q])
            kinds["search"].append(t)
            per_query[q][0].append(t)
            t, _ = timed(["rg", "-c", "--no-messages", "-F", q, str(raw)])
            kinds["rg"].append(t)
            per_query[q][1].append(t)
        kinds["list -n 20"].append(timed([args.cs, "list", "--limit", "20"])[0])
        kinds["list"].append(timed([args.cs, "list"])[0])
        kinds["show"].append(timed([args.cs, "show", median_sid])[0])
        kinds["python -c pass"].append(timed([python, "-c", "pass"])[0])
    rg = p50_ms(kinds["rg"])
    print(
        f"corpus: {len(sizes)} sessions, {log_mb:.0f} MB of log; cs {args.cs}; "
        f"p50 of {args.runs} rounds; anchor rg -c -F over the raw output, same run"
    )
    for q, (c, r) in per_query.items():
        print(
            f"  search {q!r:22s} cs {p50_ms(c):6.1f} ms   rg {p50_ms(r):6.1f} ms   cs/rg {p50_ms(c) / p50_ms(r):5.2f}"
        )
    print(
        f"cs search p50 {p50_ms(kinds['search']):.1f} ms   rg p50 {rg:.1f} ms   ratio {p50_ms(kinds['search']) / rg:.2f}"
    )
    for kind in ("list -n 20", "list", "show"):
        what = f"show {median_sid[:8]} ({sizes[len(sizes) // 2][0] / 1e6:.1f} MB log)" if kind == "show" else kind
        print(f"cs {what:28s} p50 {p50_ms(kinds[kind]):6.1f} ms   vs rg p50: {p50_ms(kinds[kind]) / rg:.2f}")
    print(f"floor: python -c pass p50 {p50_ms(kinds['python -c pass']):.1f} ms")
    print(json.dumps({k: round(p50_ms(v), 1) for k, v in kinds.items()}))


if __name__ == "__main__":
    main()

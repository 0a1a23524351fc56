#!/usr/bin/env python3
"""A search through `cs mcp`, as Claude Code makes one: the MCP SDK's client
starts the real `cs mcp` over stdio once, and times `tools/call
search_sessions` round trips (request written, answer read), nothing new to
index (the catch-up each call makes finds the watermark unchanged).

The corpus is bench_search.py's (bench_index.py's Claude-like sessions), built
into --corpus if missing, else reused; the queries are bench_search.py's (four
words, one error code, one phrase), taken in turn. Reported: p50 and p90 of
--calls calls, after a warm-up round (the page cache; the first catch-up).

    python3 bench/bench_mcp.py --corpus /tmp/cs-search-1g                 # 500 sessions, 1 GB
    python3 bench/bench_mcp.py --corpus /tmp/cs-mcp-200m --mb 200         # smaller, quicker to build
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # noqa: E402
from bench.bench_index import PHRASE, words_vocab  # noqa: E402
from bench.bench_search import build  # noqa: E402


def queries_of(root: Path) -> list:
    """bench_search.py's queries for this corpus."""
    codes = json.loads((root / "codes.json").read_text()) if (root / "codes.json").exists() else []
    rng = random.Random(2)
    vocab = words_vocab(random.Random(1))
    return [rng.choice(vocab) for _ in range(4)] + [codes[len(codes) // 2] if codes else "Claude", PHRASE]


async def measure(cs: str, env: dict, queries: list, calls: int) -> tuple:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=cs, args=["mcp"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as client:
            t = time.perf_counter()
            await client.initialize()
            started = time.perf_counter() - t
            for q in queries:  # warm-up
                result = await client.call_tool("search_sessions", {"query": q, "limit": 10})
                assert not result.is_error, result
                assert "stale" not in result.content[0].text, result.content[0].text
            times, chars = [], []
            for i in range(calls):
                q = queries[i % len(queries)]
                t = time.perf_counter()
                result = await client.call_tool("search_sessions", {"query": q, "limit": 10})
                times.append(time.perf_counter() - t)
                chars.append(len(result.content[0].text))
    return started, times, chars


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cs", default=str(Path(sys.executable).parent / "cs"), help="the cs to time")
    ap.add_argument("--corpus", default="/tmp/cs-search-1g", help="built here if missing, else reused")
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--mb", type=float, default=1000)
    ap.add_argument("--calls", type=int, default=100)
    args = ap.parse_args()

    import anyio

    root = Path(args.corpus)
    env = dict(os.environ, CS_HOME=str(root / "home"), NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CS_SESSION_ID", None)  # (run inside a recorded terminal: leave nothing out)
    if not (root / "home" / "index.db").exists():
        build(root, args.sessions, args.mb, args.cs, env)
    time.sleep(2.1)  # logs/ older than 2 s: the catch-up's watermark holds
    logs = root / "home" / "logs"
    log_mb = sum(p.stat().st_size for p in logs.iterdir()) / 1e6
    queries = queries_of(root)
    started, times, chars = anyio.run(measure, args.cs, env, queries, args.calls)
    ms = sorted(t * 1000 for t in times)
    print(f"corpus: {len(list(logs.iterdir()))} log files, {log_mb:.0f} MB; cs {args.cs}")
    print(f"initialize (server start): {started * 1000:.0f} ms")
    print(
        f"search_sessions, {args.calls} calls, limit 10: p50 {statistics.median(ms):.1f} ms"
        f"   p90 {ms[int(len(ms) * 0.9) - 1]:.1f} ms   max {ms[-1]:.1f} ms"
        f"   answer {statistics.median(chars):.0f} characters (p50)"
    )


if __name__ == "__main__":
    main()

"""Retention benchmarks: prune 10,000 sessions, compress Claude-Code-like logs.

    .venv/bin/python bench/bench_prune.py            # full run (~1-2 minutes)
    .venv/bin/python bench/bench_prune.py --quick    # smaller, for a smoke test

Everything runs in a temporary CS_HOME and times the real `cs` command (a
subprocess, start-up included), because that is what a user waits for.
Figures go to stdout as a Markdown table for docs/benchmarks.md.

1. `cs prune --older 30d` over N old sessions (target: 10,000 in <= 3 s),
   with and without an index to keep in step, and its --dry-run.
2. `cs compress` over ~50 MB of log lines shaped like Claude Code's Ink TUI
   (streamed words with cursor moves, spinner and status-bar redraws, colours,
   one keystroke per input line), base64 in JSONL exactly as recorded; ratio
   and speed next to `gzip -6` on the same files; and the ratio on a second,
   independent generator (bench_index.py's corpus).
3. Reading a whole session stream (what show/replay/index do) plain vs gzip.
4. If the indexer is installed (`cs.search`), `cs search` before and after.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository, for tests.helpers

from cs.log import jsonl, paths, store
from tests.helpers.logs import make_session
from tests.helpers.sessions import index_all

CS = str(Path(sys.executable).parent / "cs")


CPU = {}  # command line -> CPU seconds (user + sys) of its last run


def timed(cmd, env) -> float:
    """Wall time of one run of cmd; its CPU time goes to CPU[cmd] (the machine
    is shared, so wall time includes waiting for a core)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[" ".join(cmd)] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall


# ---------------------------------------------------------------- Claude-Code-like output

SPINNER = "·✢✳✶✻✽"


def _corpus(rng) -> list:
    """Real prose and code for the assistant to 'say': the stdlib's own sources."""
    import json as some_module

    text = Path(some_module.__file__).parent.parent.joinpath("argparse.py").read_text()
    text += Path(some_module.__file__).parent.parent.joinpath("textwrap.py").read_text()
    words = text.split()
    return words


def claude_like_chunks(rng, words):
    """Yield (direction, bytes) like a Claude Code session: the user types a
    prompt key by key, the answer streams in word by word with the status
    line and spinner redrawn in between, finished blocks repainted in colour."""
    row = 5
    while True:
        prompt = " ".join(rng.choice(words) for _ in range(rng.randint(3, 15)))
        for ch in prompt:
            yield jsonl.INPUT, ch.encode()
            yield jsonl.OUTPUT, b"\x1b[%d;3H%s\x1b[K" % (row, prompt[: prompt.index(ch) + 1].encode())
        yield jsonl.INPUT, b"\r"
        line, t0 = "", rng.randint(1, 90)
        for i in range(rng.randint(40, 400)):
            word = rng.choice(words)
            if len(line) + len(word) > 76:
                yield jsonl.OUTPUT, b"\x1b[38;5;231m\x1b[%d;3H%s\x1b[39m\r\n" % (row, line.encode())
                row = row % 40 + 1
                line = ""
            line += ("\x1b[1C" if line else "") + word
            yield jsonl.OUTPUT, b"\x1b[%d;3H\x1b[2K%s" % (row, line.encode())
            if i % 5 == 0:
                status = "%s Thinking\u2026 (%ds \u00b7 \u2191 %.1fk tokens \u00b7 esc to interrupt)" % (
                    SPINNER[i % len(SPINNER)],
                    t0 + i // 10,
                    i / 20,
                )
                yield jsonl.OUTPUT, b"\x1b7\x1b[44;1H\x1b[2K\x1b[38;5;174m" + status.encode() + b"\x1b[39m\x1b8"
        box = (
            "\u256d" + "\u2500" * 76 + "\u256e\r\n\u2502 > " + " " * 72 + "\u2502\r\n\u2570" + "\u2500" * 76 + "\u256f"
        )
        yield jsonl.OUTPUT, b"\x1b[45;1H" + box.encode()


def make_claude_like_session(logs_dir: Path, nbytes: int, ended_days_ago: float, seed: int) -> str:
    rng = random.Random(seed)
    words = _corpus(rng)
    sid = str(uuid.uuid4())
    t_end = time.time() - ended_days_ago * 86400
    t = t_end - 3600
    out = [jsonl.event_line(sid, "start", {"cwd": "/home/u/proj", "argv": ["claude"], "cols": 120, "rows": 48}, t=t)]
    size = 0
    for direction, data in claude_like_chunks(rng, words):
        t += rng.uniform(0.001, 0.2)
        line = jsonl.io_line(sid, direction, data, t=t)
        out.append(line)
        size += len(line)
        if size >= nbytes:
            break
    out.append(jsonl.event_line(sid, "end", {"exit_code": 0}, t=t_end))
    fd = paths.create_private_file(logs_dir / store.segment_name(sid), append=False)
    with os.fdopen(fd, "wb") as f:
        f.write(b"".join(out))
    return sid


# ---------------------------------------------------------------- benchmarks


def bench_prune(n: int, rows: list) -> None:
    for with_index in (False, True):
        os.sync()
        home = Path(tempfile.mkdtemp(prefix="cs-bench-prune-"))
        env = dict(os.environ, CS_HOME=str(home))
        os.environ["CS_HOME"] = str(home)
        logs = paths.logs_dir()
        sids = [make_session(logs, 31 + i % 300, chunks=4, segments=1 + (i % 10 == 0)) for i in range(n)]
        if with_index:
            index_all(logs, sids)  # the real `cs index`
        total = sum(p.stat().st_size for p in logs.iterdir())
        n_files = len(os.listdir(logs))
        # Baseline: the same files removed by `rm -r`, the least any prune must
        # cost on this file system (on this VM, ext4 unlinks of files with data
        # dominate). Everything is synced first so no write-back is measured.
        shutil.copytree(logs, home / "logs-copy")
        os.sync()
        rm_s = timed(["rm", "-r", str(home / "logs-copy")], env)
        os.sync()
        dry = timed([CS, "prune", "--older", "30d", "--dry-run"], env)
        dry_cpu = CPU[f"{CS} prune --older 30d --dry-run"]
        real = timed([CS, "prune", "--older", "30d"], env)
        real_cpu = CPU[f"{CS} prune --older 30d"]
        assert not list(logs.iterdir()), "prune left files"
        label = "with index" if with_index else "logs only"
        rows.append(
            (f"prune {n:,} sessions ({label}, {total / 1e6:.1f} MB), dry-run", f"{dry:.2f} s", f"CPU {dry_cpu:.2f} s")
        )
        rows.append(
            (
                f"prune {n:,} sessions ({label}), real run",
                f"{real:.2f} s",
                f"CPU {real_cpu:.2f} s; {n / real:,.0f} sessions/s; target <= 3 s: {'met' if real <= 3 else 'MISSED'}",
            )
        )
        rows.append((f"baseline: rm -r of the same {n_files:,} files", f"{rm_s:.2f} s", f"prune/rm {real / rm_s:.2f}"))
        shutil.rmtree(home)


def bench_compress(total_mb: int, rows: list) -> None:
    home = Path(tempfile.mkdtemp(prefix="cs-bench-compress-"))
    env = dict(os.environ, CS_HOME=str(home))
    os.environ["CS_HOME"] = str(home)
    logs = paths.ensure_private_dir(paths.logs_dir())
    per = 5 * 1024 * 1024
    sids = [make_claude_like_session(logs, per, 10 + i, seed=i) for i in range(max(1, total_mb // 5))]
    plain_total = sum(p.stat().st_size for p in logs.iterdir())
    # gzip -6 on copies, for comparison
    ref = home / "ref"
    ref.mkdir()
    for p in logs.iterdir():
        shutil.copy(p, ref / p.name)
    t = time.perf_counter()
    subprocess.run(["gzip", "-6", *map(str, ref.iterdir())], check=True)
    gzip_s = time.perf_counter() - t
    gzip_total = sum(p.stat().st_size for p in ref.iterdir())
    # reading a whole session, plain
    t = time.perf_counter()
    n_plain = sum(1 for sid in sids for _ in store.iter_session_records(logs, sid))
    read_plain = time.perf_counter() - t
    search_before = _search_time(env)
    show_plain = (
        min(timed([CS, "show", "--raw", sids[0]], env) for _ in range(3)) if search_before is not None else None
    )
    cs_s = timed([CS, "compress", "--older", "1d"], env)
    gz_total = sum(p.stat().st_size for p in logs.iterdir())
    assert all(p.name.endswith(".gz") for p in logs.iterdir())
    t = time.perf_counter()
    n_gz = sum(1 for sid in sids for _ in store.iter_session_records(logs, sid))
    read_gz = time.perf_counter() - t
    assert n_gz == n_plain
    search_after = _search_time(env)
    show_gz = min(timed([CS, "show", "--raw", sids[0]], env) for _ in range(3)) if search_before is not None else None
    mb = plain_total / 1e6
    rows.append(
        (
            f"cs compress, {len(sids)} sessions, {mb:.0f} MB Claude-Code-like JSONL",
            f"{cs_s:.2f} s",
            f"{mb / cs_s:.0f} MB/s; ratio {plain_total / gz_total:.2f}x ({mb:.1f} MB -> {gz_total / 1e6:.1f} MB)",
        )
    )
    rows.append(
        (
            "gzip -6 on the same files (reference)",
            f"{gzip_s:.2f} s",
            f"{mb / gzip_s:.0f} MB/s; ratio {plain_total / gzip_total:.2f}x; cs/gzip time {cs_s / gzip_s:.2f}",
        )
    )
    rows.append((f"read every session stream ({n_plain:,} lines), plain", f"{read_plain:.2f} s", ""))
    rows.append(("same, gzip", f"{read_gz:.2f} s", f"gzip/plain {read_gz / read_plain:.2f}"))
    if search_before is not None:
        rows.append(("cs search Thinking, before compression (best of 5)", f"{search_before:.3f} s", ""))
        rows.append(
            (
                "cs search Thinking, after compression + cs index (best of 5)",
                f"{search_after:.3f} s",
                f"after/before {search_after / search_before:.2f}",
            )
        )
        rows.append(
            (
                "cs show --raw of one 5 MB session, plain vs gzip (best of 3)",
                f"{show_plain:.3f} s / {show_gz:.3f} s",
                f"gzip/plain {show_gz / show_plain:.2f}",
            )
        )
    shutil.rmtree(home)


def bench_compress_index_corpus(total_mb: int, rows: list) -> None:
    """A second, independent corpus: bench_index.py's generator (Ink frames
    erased and redrawn, words joined by cursor moves, synthetic vocabulary)."""
    sys.path.insert(0, str(HERE))
    import bench_index

    root = Path(tempfile.mkdtemp(prefix="cs-bench-compress2-"))
    logs, *_ = bench_index.generate(root, sessions=10, total_mb=total_mb)
    env = dict(os.environ, CS_HOME=str(logs.parent))
    plain = sum(p.stat().st_size for p in logs.iterdir())
    os.sync()
    cs_s = timed([CS, "compress", "--older", "1d"], env)
    gz = sum(p.stat().st_size for p in logs.iterdir())
    rows.append(
        (
            f"cs compress, bench_index.py corpus ({plain / 1e6:.0f} MB)",
            f"{cs_s:.2f} s",
            f"{plain / 1e6 / cs_s:.0f} MB/s; ratio {plain / gz:.2f}x",
        )
    )
    shutil.rmtree(root)


def _search_time(env):
    """Best of 5 `cs search` runs, after `cs index` (None without the indexer).
    search reads the index, not the logs: compression should not change it."""
    import importlib.util

    if importlib.util.find_spec("cs.ask.search") is None:
        return None
    subprocess.run([CS, "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    return min(timed([CS, "search", "Thinking"], env) for _ in range(5))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1,000 sessions and 10 MB")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.mb = 1000, 10
    rows = []
    bench_prune(args.sessions, rows)
    bench_compress(args.mb, rows)
    bench_compress_index_corpus(args.mb, rows)
    load = os.getloadavg()[0]
    print(
        f"\n{os.cpu_count()} CPUs, load average {load:.1f} at the end, Python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d')}\n"
    )
    print("| what | time | notes |")
    print("|---|---|---|")
    for what, t, notes in rows:
        print(f"| {what} | {t} | {notes} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Index and search benchmark: cs against ripgrep over the same sessions.

Generates a corpus of sessions with Claude-Code-like output (answers streamed
in several redraws of an Ink frame, words separated by cursor moves instead of
spaces, a spinner, the input box redrawn below) and some sessions of ordinary
line-by-line text; writes them as cs logs (cs.log encoders, exactly what
the recorder writes) and, beside them, the decoded output bytes (what
script(1) would have kept) for rg. Then measures, in the same run:

  * `cs index` (whole command, cold): MB of log per second;
  * index size / log size;
  * `cs search` (whole command, p50 over several queries and runs) vs `rg`
    over the raw output;
  * where rg is wrong: a phrase drawn with cursor gaps (rg misses it), and a
    token redrawn many times (rg counts every redraw).

Usage: python bench/bench_index.py [--sessions 100] [--mb 100] [--runs 5] [--keep DIR]
       python bench/bench_index.py --real-claude CHUNKS.bin ...   # sessions of the real CLI's output

With --real-claude, every session is a real Claude Code session's output in the
reads the PTY gave (bench/bench_render.py's recording of the installed CLI
against the loopback fake API; recorded once into CHUNKS.bin, then reused), its
alternate-screen part repeated to the session's size: what `cs index` meets.
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # noqa: E402
from cs.log import jsonl, store  # noqa: E402

GAP = b"\x1b[1C"  # Ink draws the space between words as a cursor move
PHRASE = "failed with error"
COLS = 80  # cs record without a terminal records cols null: the indexer then assumes 80x24


def words_vocab(rng, n=3000):
    syll = ["ka", "to", "ri", "mu", "sen", "dal", "vor", "pin", "qua", "lex", "mo", "tre", "zan", "fi"]
    vocab = set()
    while len(vocab) < n:
        vocab.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))))
    return sorted(vocab)


def sentence(rng, vocab, uniq, codes=None):
    """A line of words that fits the terminal (Ink wraps text itself)."""
    words = [rng.choice(vocab) for _ in range(rng.randint(5, 12))]
    roll = rng.random()
    if roll < 0.08:
        words[rng.randrange(len(words)) : 0] = PHRASE.split()
    elif roll < 0.2:
        words.insert(rng.randrange(len(words)), f"E{uniq:05d}")
        if codes is not None:
            codes.append(f"E{uniq:05d}")
    elif roll < 0.3:
        words.insert(rng.randrange(len(words)), f"src/{rng.choice(vocab)}/{rng.choice(vocab)}.py:{rng.randint(1, 999)}")
    while len(" ".join(words)) > COLS - 8:
        words.pop(0 if PHRASE.split()[0] not in words[:1] else -1)
    return words


def ink_line(words):
    return GAP.join(w.encode() for w in words)


def input_box(typed=b""):
    bar = "─" * (COLS - 2)
    return (
        f"╭{bar}╮\r\n".encode()
        + b"\xe2\x94\x82 > "
        + typed
        + b"\x1b["
        + str(COLS - 5 - len(typed)).encode()
        + b"C\xe2\x94\x82\r\n"
        + f"╰{bar}╯".encode()
    )


def erase(n):
    """Ink's log-update: erase the previous frame line by line, bottom up."""
    return b"\x1b[2K\x1b[1A" * n + b"\x1b[2K\r"


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def claude_session(rng, vocab, target, counter, codes):
    """Yield ("output"|"input", bytes) chunks until about `target` log bytes."""
    size = 0
    frame_lines = 0
    while size < target:
        # The user types a prompt, key by key, into the input box.
        prompt = " ".join(rng.choice(vocab) for _ in range(rng.randint(3, 8)))
        for i in range(0, len(prompt), 4):
            yield "input", prompt[i : i + 4].encode()
            frame = erase(frame_lines) + input_box(prompt[: i + 4].encode())
            frame_lines = 2
            yield "output", frame
            size += len(frame) * 4 // 3 + 120
        yield "input", b"\r"
        # The answer streams: each line grows over several redraws of the frame.
        for _ in range(rng.randint(3, 10)):
            counter[0] += 1
            words = sentence(rng, vocab, counter[0], codes)
            cuts = sorted(set(rng.randint(1, len(words)) for _ in range(rng.randint(3, 6))) | {len(words)})
            for k, cut in enumerate(cuts):
                spin = SPINNER[k % len(SPINNER)]
                frame = (
                    erase(frame_lines)
                    + b"\xe2\x8f\xba "
                    + ink_line(words[:cut])
                    + b"\r\n\r\n"
                    + f"{spin} Thinking… ({k}s · esc to interrupt)".encode()
                    + b"\r\n"
                    + input_box()
                )
                frame_lines = 5
                yield "output", frame
                size += len(frame) * 4 // 3 + 120
            # Finished: the line becomes static output above the frame.
            static = erase(frame_lines) + b"\xe2\x8f\xba " + ink_line(words) + b"\r\n"
            frame_lines = 0
            yield "output", static
            size += len(static) * 4 // 3 + 120


REAL_CHUNKS = []  # set by --real-claude


def real_claude_session(rng, vocab, target, counter, codes):
    """The recorded real session, its alternate-screen part repeated to about `target` log bytes."""
    start = next(i for i, c in enumerate(REAL_CHUNKS) if b"\x1b[?1049h" in c) + 1
    end = max(i for i, c in enumerate(REAL_CHUNKS) if b"\x1b[?1049l" in c)
    size = 0
    for c in REAL_CHUNKS[:start]:
        yield "output", c
        size += len(c) * 4 // 3 + 120
    while size < target:
        for c in REAL_CHUNKS[start:end]:
            yield "output", c
            size += len(c) * 4 // 3 + 120
    for c in REAL_CHUNKS[end:]:
        yield "output", c


def load_real_chunks(path: Path) -> list:
    """The real CLI's output reads, recorded once (about 40 s) and kept in `path`."""
    if not path.exists():
        from bench.bench_render import record_claude

        chunks = record_claude()
        if not chunks:
            sys.exit("--real-claude: the claude CLI is not installed (.ci/setup)")
        with open(path, "wb") as f:
            for c in chunks:
                f.write(len(c).to_bytes(4, "big") + c)
    data, out, i = path.read_bytes(), [], 0
    while i < len(data):
        n = int.from_bytes(data[i : i + 4], "big")
        out.append(data[i + 4 : i + 4 + n])
        i += 4 + n
    return out


def plain_session(rng, vocab, target, counter, codes):
    size = 0
    while size < target:
        counter[0] += 1
        lines = [" ".join(sentence(rng, vocab, counter[0])) for _ in range(rng.randint(1, 20))]
        chunk = ("\r\n".join(lines) + "\r\n").encode()
        yield "output", chunk
        size += len(chunk) * 4 // 3 + 120


EMIT = r"""
import os, sys
# Write the recorded chunks (4-byte length + bytes) to stdout one write each,
# so cs record sees the program's own chunking as closely as a PTY allows.
data = open(sys.argv[1], "rb").read()
i, out = 0, sys.stdout.fileno()
while i < len(data):
    n = int.from_bytes(data[i:i + 4], "big")
    chunk = data[i + 4:i + 4 + n]
    while chunk:
        chunk = chunk[os.write(out, chunk):]
    i += 4 + n
"""


def record_through_cs(cs, root: Path, sessions: list, env):
    """Record each generated session for real: `cs record -- python EMIT chunks`."""
    emit = root / "emit.py"
    emit.write_text(EMIT)
    for i, chunks in enumerate(sessions):
        path = root / f"chunks-{i}.bin"
        with open(path, "wb") as f:
            for data in chunks:
                f.write(len(data).to_bytes(4, "big") + data)
        cwd = root / f"proj{i % 7}"
        cwd.mkdir(exist_ok=True)
        proc = subprocess.run(
            [cs, "record", "--", sys.executable, str(emit), str(path)],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0
        path.unlink()


def generate(root: Path, sessions: int, total_mb: float, seed=1, keep_chunks=False, plain_every=5):
    rng = random.Random(seed)
    vocab = words_vocab(rng)
    logs = root / "home" / "logs"
    raw = root / "raw"
    logs.mkdir(parents=True)
    raw.mkdir()
    per = int(total_mb * 1e6 / sessions)
    counter, codes, recorded = [0], [], []
    t0 = time.time() - 86400 * 10
    for i in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        t = t0 + i * 600
        is_claude = not plain_every or i % plain_every
        kind = (real_claude_session if REAL_CHUNKS else claude_session) if is_claude else plain_session
        raw_name = f"{sid}.{'claude' if is_claude else 'plain'}.out"
        chunks = []
        with open(logs / store.segment_name(sid), "wb") as log, open(raw / raw_name, "wb") as out:
            log.write(
                jsonl.event_line(
                    sid,
                    "start",
                    {
                        "format": 1,
                        "argv": ["claude"],
                        "cwd": f"/home/u/proj{i % 7}",
                        "cols": COLS,
                        "rows": 24,
                    },
                    t,
                )
            )
            for direction, data in kind(rng, vocab, per, counter, codes):
                t += rng.random() * 0.05
                log.write(jsonl.io_line(sid, direction, data, t))
                if direction == "output":
                    out.write(data)
                    chunks.append(data)
            log.write(jsonl.event_line(sid, "end", {"exit_code": 0}, t + 1))
        if keep_chunks:
            recorded.append(chunks)
            (logs / store.segment_name(sid)).unlink()
            (raw / raw_name).rename(raw / f"rec{i:04d}.{raw_name.split('.', 1)[1]}")
    return logs, raw, codes, recorded


def timed(cmd, env):
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True)
    return time.perf_counter() - t, proc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--mb", type=float, default=100.0, help="total log size to generate, MB")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", help="keep the corpus in this directory")
    ap.add_argument(
        "--plain-every", type=int, default=5, help="every Nth session is ordinary text (0: all Claude-like)"
    )
    ap.add_argument(
        "--direct",
        action="store_true",
        help="write the logs with cs.log's encoders instead of recording through"
        " `cs record` (faster; input lines included)",
    )
    ap.add_argument(
        "--real-claude",
        metavar="CHUNKS",
        help="sessions of a real Claude Code recording (made once into this file, then reused)",
    )
    args = ap.parse_args()
    if args.real_claude:
        REAL_CHUNKS[:] = load_real_chunks(Path(args.real_claude))

    cs = str(Path(sys.executable).parent / "cs")
    root = Path(args.keep or tempfile.mkdtemp(prefix="cs-bench-"))
    if args.keep and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CS_HOME=str(root / "home"), NO_COLOR="1")
    try:
        g = time.perf_counter()
        logs, raw, codes, recorded = generate(
            root, args.sessions, args.mb, keep_chunks=not args.direct, plain_every=args.plain_every
        )
        if recorded:
            r = time.perf_counter()
            record_through_cs(cs, root, recorded, env)
            print(f"recorded {len(recorded)} sessions through `cs record` in {time.perf_counter() - r:.1f}s")
            # rg's files are named by our index; map session ids by order of recording.
            ids = [
                json.loads(p.open("rb").readline())["session_id"]
                for p in sorted(logs.iterdir(), key=lambda p: json.loads(p.open("rb").readline())["timestamp"])
            ]
            for i, sid in enumerate(ids):
                (old,) = raw.glob(f"rec{i:04d}.*")
                old.rename(raw / f"{sid}.{old.name.split('.', 1)[1]}")
        log_bytes = sum(p.stat().st_size for p in logs.iterdir())
        raw_bytes = sum(p.stat().st_size for p in raw.iterdir())
        print(
            f"corpus: {args.sessions} sessions ({'every %dth one plain text' % args.plain_every if args.plain_every else 'all Claude-like'}), "
            f"{'recorded through cs record' if recorded else 'written with cs.log encoders'}, "
            f"{log_bytes / 1e6:.1f} MB of log "
            f"({raw_bytes / 1e6:.1f} MB raw output), generated in {time.perf_counter() - g:.1f}s"
        )

        secs, proc = timed([cs, "index", "-q"], env)
        assert proc.returncode == 0, proc.stderr
        db = root / "home" / "index.db"
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        nlines = conn.execute("SELECT count(*) FROM lines").fetchone()[0]
        conn.close()
        db_bytes = sum(p.stat().st_size for p in db.parent.glob("index.db*"))
        print(f"cs index: {secs:.2f}s = {log_bytes / 1e6 / secs:.1f} MB/s of log; {nlines} distinct lines")
        print(f"index size: {db_bytes / 1e6:.1f} MB = {db_bytes / log_bytes:.3f} x log size")

        # Queries: words the corpus surely has, a unique error code, a phrase.
        rng = random.Random(2)
        vocab = words_vocab(random.Random(1))
        code = codes[len(codes) // 2] if codes else "Claude"
        queries = [rng.choice(vocab) for _ in range(4)] + [code, PHRASE]
        cs_times, rg_times = [], []
        for q in queries:
            for _ in range(args.runs):
                t, p = timed([cs, "search", "--limit", "20", q], env)
                assert p.returncode in (0, 1), p.stderr
                cs_times.append(t)
                t, p = timed(["rg", "-c", "--no-messages", "-F", q, str(raw)], env)
                rg_times.append(t)
        p50 = statistics.median(cs_times)
        rg50 = statistics.median(rg_times)
        print(f"cs search p50: {p50 * 1000:.0f} ms   rg p50: {rg50 * 1000:.0f} ms   ratio cs/rg: {p50 / rg50:.2f}")

        # Where rg is wrong.
        def cs_count(q):
            out = subprocess.run([cs, "search", "--jsonl", "--limit", "100000", q], env=env, capture_output=True).stdout
            return len(out.splitlines())

        def rg_count(q, glob="*"):
            out = subprocess.run(
                ["rg", "-o", "-F", "--no-filename", "-g", glob, q, str(raw)], capture_output=True
            ).stdout
            return len(out.splitlines())

        print("where rg is wrong (Claude-like sessions only; plain-text sessions agree):")
        for label, q in [
            ("phrase across cursor gaps", PHRASE),
            ("one error code, redrawn", code),
            ("a common word", queries[0]),
        ]:
            cs_claude = (
                subprocess.run([cs, "search", "--jsonl", "--limit", "100000", q], env=env, capture_output=True)
                .stdout.decode()
                .splitlines()
            )
            sids = {p.name.split(".")[0] for p in raw.glob("*.claude.out")}
            n_cs = sum(1 for l in cs_claude if json.loads(l)["session_id"] in sids)
            print(
                f"  {label:27s} {q!r:20s} cs lines: {n_cs:6d}   rg matches: {rg_count(q, '*.claude.out'):6d}"
                f"   (all sessions: cs {cs_count(q)}, rg {rg_count(q)})"
            )
        print(
            json.dumps(
                {
                    "sessions": args.sessions,
                    "log_mb": round(log_bytes / 1e6, 1),
                    "index_mb_s": round(log_bytes / 1e6 / secs, 1),
                    "index_ratio": round(db_bytes / log_bytes, 3),
                    "search_p50_ms": round(p50 * 1000),
                    "rg_p50_ms": round(rg50 * 1000),
                }
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

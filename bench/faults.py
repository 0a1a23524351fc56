#!/usr/bin/env python3
"""Fault suite for cs, reproducible (fixed, printed seeds); figures go to docs/reliability.md.

Four experiments, each against the real `cs` console script next to this
interpreter, in a throw-away CS_HOME:

kill     SIGKILL to the recorder, the child or both process groups at a random
         moment while the child floods output through a real PTY. Per trial:
         bytes the user's terminal showed that are not in the log (target 0),
         whether the log ends in a torn line, and whether `cs index` and
         `cs list` recover (status cut_off, no traceback).
concurrent
         N sessions writing numbered lines at once while a watcher indexes,
         `cs prune --dry-run` and `cs search` run. Lines lost or duplicated in
         the logs and in the index (target 0 and 0); how long searches took
         and how many missed a line written more than 2 s before.
disk     A full disk (RLIMIT_FSIZE) for the log (the session goes on, one
         warning, every complete line valid) and for the index (`cs search`
         still answers from what was indexed and says results may be stale).
fuzz     Garbage lines, wrong types, huge lines, hostile escape sequences,
         non-regular files and bad gzip next to good sessions: `cs index`,
         `cs list`, `cs search` crashes (traceback) and hangs (timeout),
         target 0; good sessions still searchable.

Usage: python bench/faults.py [--seed 12] [--trials 100] [--sessions 16] [--mb 10]
       [--only kill,concurrent,disk,fuzz]
"""

import argparse
import base64
import gzip
import json
import os
import random
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import ptyprocess

CS = os.path.join(os.path.dirname(sys.executable), "cs")


def _env(home):
    env = dict(os.environ, CS_HOME=home, TERM="xterm")
    env.pop("CS_SESSION_ID", None)
    env.pop("CS_DISABLE", None)
    return env


def cs(home, *args, timeout=60, **kw):
    return subprocess.run([CS, *args], capture_output=True, timeout=timeout, env=_env(home), **kw)


def log_output(home):
    """(output bytes of every session in the logs, number of torn last lines)."""
    logs = os.path.join(home, "logs")
    out, torn = {}, 0
    for name in sorted(os.listdir(logs)):
        with open(os.path.join(logs, name), "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            torn += 1
        for line in data.split(b"\n"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("direction") == "output":
                out[rec["session_id"]] = out.get(rec["session_id"], b"") + base64.b64decode(rec["data"])
    return out, torn


# ---------------------------------------------------------------- kill

FLOOD = (
    "import sys,os\n"
    "i=0\n"
    "while True:\n"
    "    os.write(1, b''.join(b'flood line %09d ................................\\n' % (i+k) for k in range(2000)))\n"
    "    i+=2000\n"
)


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def kill_trial(rng, home, target):
    proc = ptyprocess.PtyProcess.spawn(
        [CS, "record", "--", sys.executable, "-c", FLOOD], env=_env(home), dimensions=(24, 80)
    )
    screen = bytearray()
    want = rng.randint(1, 4_000_000)
    deadline = time.monotonic() + 20
    while len(screen) < want and time.monotonic() < deadline:
        r, _, _ = select.select([proc.fd], [], [], 0.5)
        if r:
            try:
                screen += os.read(proc.fd, 1 << 20)
            except OSError:
                break
    kids = _children(proc.pid)
    if target == "recorder":
        os.kill(proc.pid, signal.SIGKILL)
    elif target == "child":
        for k in kids:
            os.kill(k, signal.SIGKILL)
    else:  # both process groups (the child leads its own session)
        for pg in [proc.pid] + kids:
            try:
                os.killpg(pg, signal.SIGKILL)
            except ProcessLookupError:
                pass
    # Read what is still on its way to the screen until the terminal closes.
    end = time.monotonic() + 10
    while time.monotonic() < end:
        r, _, _ = select.select([proc.fd], [], [], 0.3)
        if not r:
            if not proc.isalive():
                break
            continue
        try:
            data = os.read(proc.fd, 1 << 20)
        except OSError:
            break
        if not data:
            break
        screen += data
    for k in kids:  # the child outlives a killed recorder (it gets SIGHUP; make sure)
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.close(force=True)
    except Exception:
        pass
    outputs, torn = log_output(home)
    logged = b"".join(outputs.values())
    # Bytes shown that are not in the log: the screen must be a prefix of what was logged.
    common = 0
    limit = min(len(screen), len(logged))
    step = 1 << 16
    while common < limit and screen[common : common + step] == logged[common : common + step]:
        common += step
    while common < limit and screen[common] == logged[common]:
        common += 1
    common = min(common, limit)
    lost = len(screen) - common
    index = cs(home, "index")
    listed = cs(home, "list", "--jsonl")
    rows = [json.loads(x) for x in listed.stdout.decode().splitlines() if x.strip()]
    recovered = (
        index.returncode == 0
        and listed.returncode == 0
        and b"Traceback" not in index.stderr
        and len(rows) == 1
        and rows[0]["status"] in ("cut_off", "finished")
    )
    return {"target": target, "shown": len(screen), "lost": lost, "torn": torn, "recovered": recovered}


def run_kill(trials, seed, tmp):
    rng = random.Random(seed)
    results = []
    for i in range(trials):
        home = os.path.join(tmp, f"kill{i}")
        target = ("recorder", "child", "group")[i % 3]
        results.append(kill_trial(rng, home, target))
        shutil.rmtree(home, ignore_errors=True)
    summary = {}
    for target in ("recorder", "child", "group"):
        rs = [r for r in results if r["target"] == target]
        if rs:
            summary[target] = {
                "trials": len(rs),
                "bytes_lost_max": max(r["lost"] for r in rs),
                "trials_with_loss": sum(1 for r in rs if r["lost"]),
                "torn_last_lines": sum(r["torn"] for r in rs),
                "recovered": sum(r["recovered"] for r in rs),
                "mb_shown_median": round(sorted(r["shown"] for r in rs)[len(rs) // 2] / 1e6, 2),
            }
    return summary


# ---------------------------------------------------------------- concurrent

WRITER = (
    "import os,sys\n"
    "tag, n = sys.argv[1], int(sys.argv[2])\n"
    "i = 0\n"
    "while i < n:\n"
    "    os.write(1, b''.join(b'%s L%08d payload payload payload payload payload payload\\r\\n' % (tag.encode(), j)"
    " for j in range(i, min(n, i + 500))))\n"
    "    i += 500\n"
)
LINE_BYTES = 70  # (the writers' stdout is a pipe: they end lines with \r\n as a terminal would)


def run_concurrent(sessions, mb, seed, tmp):
    rng = random.Random(seed)
    home = os.path.join(tmp, "concurrent")
    os.makedirs(home)
    n_lines = int(mb * 1e6 / LINE_BYTES)
    watcher = subprocess.Popen(
        [CS, "index", "--watch"], env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    tags = [f"S{k:02d}x{rng.randrange(16**6):06x}" for k in range(sessions)]
    writers = [
        subprocess.Popen(
            [CS, "record", "--", sys.executable, "-c", WRITER, tag, str(n_lines)],
            env=_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for tag in tags
    ]
    searches, stop = [], threading.Event()

    def searcher():
        while not stop.is_set():
            tag = rng.choice(tags)
            t = time.monotonic()
            proc = cs(home, "search", "--limit", "1", tag)
            searches.append((time.monotonic() - t, proc.returncode, b"Traceback" in proc.stderr))
            cs(home, "prune", "--older", "3650d", "--dry-run")
            time.sleep(0.2)

    th = threading.Thread(target=searcher)
    th.start()
    started = time.monotonic()
    for w in writers:
        w.wait(timeout=1800)
    written_in = time.monotonic() - started
    # Freshness: a line written by a finished session must be found within 2 s.
    t = time.monotonic()
    fresh = None
    while time.monotonic() - t < 30:
        proc = cs(home, "search", "--limit", "1", f"{tags[-1]} L{n_lines - 1:08d}")
        if proc.returncode == 0:
            fresh = time.monotonic() - t
            break
        time.sleep(0.1)
    stop.set()
    th.join()
    time.sleep(1)
    watcher.send_signal(signal.SIGTERM)
    watcher.wait(timeout=60)
    cs(home, "index")
    outputs, torn = log_output(home)
    lost_log = dup_log = 0
    for tag in tags:
        stream = [o for o in outputs.values() if o.startswith(tag.encode())]
        lines = stream[0].split(b"\r\n") if stream else []
        nums = [int(x.split()[1][1:]) for x in lines if x.startswith(tag.encode())]
        lost_log += n_lines - len(set(nums))
        dup_log += len(nums) - len(set(nums))
    import sqlite3

    db = sqlite3.connect(os.path.join(home, "index.db"))
    lost_idx = dup_idx = 0
    for tag in tags:
        rows = db.execute("SELECT text, count(*) FROM lines WHERE text LIKE ? GROUP BY text", [tag + " L%"]).fetchall()
        lost_idx += n_lines - len(rows)
        dup_idx += sum(c - 1 for _, c in rows)
    db.close()
    waits = sorted(s[0] for s in searches)
    return {
        "sessions": sessions,
        "mb_each": mb,
        "seconds_writing": round(written_in, 1),
        "lines_lost_log": lost_log,
        "lines_dup_log": dup_log,
        "lines_lost_index": lost_idx,
        "lines_dup_index": dup_idx,
        "searches": len(searches),
        "search_tracebacks": sum(s[2] for s in searches),
        "search_s_median": round(waits[len(waits) // 2], 2) if waits else None,
        "search_s_max": round(waits[-1], 2) if waits else None,
        "last_line_found_after_s": None if fresh is None else round(fresh, 2),
        "torn": torn,
    }


# ---------------------------------------------------------------- disk


def _fsize_limit(nbytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return apply


def run_disk(tmp):
    home = os.path.join(tmp, "disk")
    os.makedirs(home)
    out = {}
    # The log: a 64 KB file size limit, 1 MB of output.
    proc = subprocess.run(
        [
            CS,
            "record",
            "--",
            sys.executable,
            "-c",
            "import sys\nfor i in range(20000): print('row %06d of output' % i)\nsys.exit(5)",
        ],
        env=_env(home),
        capture_output=True,
        timeout=120,
        preexec_fn=_fsize_limit(64 * 1024),
    )
    outputs, torn = log_output(home)
    logs = os.path.join(home, "logs")
    valid = True
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), "rb") as f:
            for line in f.read().split(b"\n")[:-1]:
                try:
                    json.loads(line)
                except ValueError:
                    valid = False
    out["log_full"] = {
        "exit_code": proc.returncode,
        "child_output_complete": proc.stdout.count(b"row ") == 20000,
        "warnings": proc.stderr.count(b"recording stopped"),
        "complete_lines_valid": valid,
        "torn_last_lines": torn,
        "index_ok": cs(home, "index").returncode == 0,
    }
    # The index: search with a file size limit smaller than what indexing needs.
    for i in range(30):
        subprocess.run(
            [
                CS,
                "record",
                "--",
                sys.executable,
                "-c",
                f"print('later session {i} ' + 'x' * 50)\nprint('\\n'.join('filler %d' % j for j in range(3000)))",
            ],
            env=_env(home),
            capture_output=True,
            timeout=60,
        )
    size = os.path.getsize(os.path.join(home, "index.db"))
    proc = subprocess.run(
        [CS, "search", "row", "000001"],
        env=_env(home),
        capture_output=True,
        timeout=60,
        preexec_fn=_fsize_limit(size + 4096),
    )
    out["index_full"] = {
        "exit_code": proc.returncode,
        "old_sessions_found": b"row 000001" in proc.stdout,
        "says_stale": b"may be stale" in proc.stderr,
        "traceback": b"Traceback" in proc.stderr,
    }
    return out


# ---------------------------------------------------------------- fuzz


def _line(sid, **fields):
    rec = {"timestamp": "2026-01-01T00:00:00.000Z", "session_id": sid}
    rec.update(fields)
    return json.dumps(rec).encode() + b"\n"


def _out(sid, data):
    return _line(sid, direction="output", data=base64.b64encode(data).decode(), size=len(data))


def _mutations(rng, sid):
    garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    return [
        garbage + b"\n",
        _line(sid, direction="output", data=rng.choice([1, None, [], {}, "@@"]), size="x"),
        _line(sid, type="resize", cols=rng.choice([10**30, -1, 0, 65535, "80", 1.5]), rows=65535),
        _line(sid, type="end", exit_code=rng.choice([10**30, -(10**30), "0", None, 1.5])),
        _line(sid, type="start", cwd="\ud800" * 3, argv=[{"x": 1}, 10**40]),
        b"[" * rng.randrange(1000, 200_000) + b"\n",
        _out(
            sid, b"\x1b[" + str(rng.randrange(10**20)).encode() + rng.choice([b"I", b"Z", b"@", b"b", b"L", b"S", b"H"])
        ),
        _out(sid, b"\x1b]0;" + b"t" * rng.randrange(1, 2_000_000)),
        _out(sid, b"e" + "\u0301".encode() * rng.randrange(1, 50_000)),
        _out(sid, bytes(rng.randrange(256) for _ in range(2000))),
        _out(sid, b"x" * rng.randrange(1, 3_000_000)),
        _line(sid, direction="output", data="QUJD" * rng.randrange(1, 5_000_000), size=0),
    ]


def run_fuzz(n, seed, tmp):
    rng = random.Random(seed)
    home = os.path.join(tmp, "fuzz")
    logs = os.path.join(home, "logs")
    os.makedirs(logs, mode=0o700)
    good = []
    for i in range(n):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        body = [_line(sid, type="start", cwd="/p", argv=["x"], cols=80, rows=24)]
        if i % 3 == 0:
            word = f"goodword{i:04d}"
            good.append(word)
            body.append(_out(sid, f"{word} is here\r\n".encode()))
        else:
            body += rng.sample(_mutations(rng, sid), rng.randrange(1, 5))
            body.append(_out(sid, b"tail text\r\n"))
        data = b"".join(body)
        name = os.path.join(logs, f"{sid}.jsonl")
        kind = rng.random()
        if i % 3 and kind < 0.1:
            os.mkfifo(name, 0o600)
        elif i % 3 and kind < 0.2:
            os.symlink("/dev/zero", name)
        elif i % 3 and kind < 0.3:
            with open(name + ".gz", "wb") as f:
                z = gzip.compress(data)
                f.write(z[: rng.randrange(1, len(z))] + b"garbage")
        elif i % 3 and kind < 0.35:
            os.mkdir(name)
        else:
            with open(name, "wb") as f:
                f.write(data)
    crashes = hangs = 0
    for args in (
        ("index",),
        ("list",),
        ("search", "tail", "text"),
        ("index",),
        ("prune", "--older", "1d", "--dry-run"),
        ("index", "--rebuild"),
    ):
        try:
            proc = cs(home, *args, timeout=300)
            if b"Traceback" in proc.stderr or proc.returncode not in (0, 1):
                crashes += 1
        except subprocess.TimeoutExpired:
            hangs += 1
    found = 0
    for word in good:
        proc = cs(home, "search", word)
        found += proc.returncode == 0 and word.encode() in proc.stdout
    return {"sessions": n, "good_sessions": len(good), "good_found": found, "crashes": crashes, "hangs": hangs}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--sessions", type=int, default=16)
    ap.add_argument("--mb", type=float, default=10)
    ap.add_argument("--fuzz", type=int, default=60, help="fuzzed sessions")
    ap.add_argument("--only", default="kill,concurrent,disk,fuzz")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    print(f"seed {args.seed}; {os.cpu_count()} CPUs; cs at {CS}", flush=True)
    tmp = tempfile.mkdtemp(prefix="cs-faults-")
    results = {}
    try:
        if "kill" in only:
            results["kill"] = run_kill(args.trials, args.seed, tmp)
            print("kill", json.dumps(results["kill"]), flush=True)
        if "concurrent" in only:
            results["concurrent"] = run_concurrent(args.sessions, args.mb, args.seed, tmp)
            print("concurrent", json.dumps(results["concurrent"]), flush=True)
        if "disk" in only:
            results["disk"] = run_disk(tmp)
            print("disk", json.dumps(results["disk"]), flush=True)
        if "fuzz" in only:
            results["fuzz"] = run_fuzz(args.fuzz, args.seed, tmp)
            print("fuzz", json.dumps(results["fuzz"]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()

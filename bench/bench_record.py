#!/usr/bin/env python3
"""Benchmark `cs record` side by side with script(1), asciinema and tlog-rec.

Every recorder runs under the same outer pseudo-terminal driven from here (the
"user's terminal"), in the same run, so the figures compare as ratios:

* throughput: `cat` of a text file (default 100 MB) through the recorder, MB/s
  of the file's size from spawn to the recorder's exit;
* keystroke echo latency: one byte written into the outer PTY, time until its
  echo comes back (child `cat`, echo done by the inner PTY), p50 and p99;
  then again with the benchmark on CPU 0 and the recorder (and its child) pinned
  with taskset, on CPU 0 ("same CPU") and on CPU 1 ("other CPU"): unpinned, the
  p50 mostly says where the scheduler happened to put the processes;
* start-up: spawn to exit of `<recorder> true` vs `true` alone, median, ms;
* peak RSS of the recorder process (VmHWM from /proc, sampled while it runs);
* idle CPU: CPU time the recorder uses while its child sleeps 2 s.

`cs` is measured as users run it: by default the checkout is installed (`pip install
--no-deps`, which compiles the native cores and the bytecode) into a fresh virtualenv, whose
`cs` is then timed; an editable install would add its import finder (about 10 ms of `site`)
to every start. `--cs PATH` times another `cs` (e.g. `.venv/bin/cs`). Throughput runs and
start-ups alternate between the tools, so that a machine getting busier hurts them alike.

Usage: python bench/bench_record.py [--mb 100] [--runs 3] [--echo 400] [--starts 15] [--cs PATH]
"""

import argparse
import os
import select
import shutil
import statistics
import sys
import tempfile
import time

import ptyprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def installed_cs(tmp) -> str:
    """A regular (non-editable) install of this checkout in a fresh virtualenv."""
    import subprocess

    venv = os.path.join(tmp, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True, capture_output=True)
    subprocess.run(pip + ["--no-deps", ROOT], check=True, capture_output=True)
    return os.path.join(venv, "bin", "cs")


def recorders(tmp, cs):
    """name -> function(argv) -> full argv recording argv into a fresh file in tmp."""
    counter = iter(range(1_000_000))

    def fresh(ext):
        return os.path.join(tmp, f"rec{next(counter)}.{ext}")

    tools = {"direct": lambda argv: list(argv)}
    tools["cs record"] = lambda argv: [cs, "record", "--", *argv]
    if shutil.which("script"):
        tools["script -q -f"] = lambda argv: ["script", "-q", "-f", "-O", fresh("typescript"), "-c", " ".join(argv)]
    if shutil.which("asciinema"):
        tools["asciinema rec"] = lambda argv: ["asciinema", "rec", "-q", "-c", " ".join(argv), fresh("cast")]
    if shutil.which("tlog-rec"):
        tools["tlog-rec"] = lambda argv: [
            "tlog-rec",
            "-w",
            "file",
            "-o",
            fresh("tlog"),
            shutil.which(argv[0]),
            *argv[1:],
        ]
    return tools


class Outer:
    """The user's terminal: a PTY with the recorder running in it."""

    def __init__(self, argv, env):
        self.proc = ptyprocess.PtyProcess.spawn(argv, env=env, dimensions=(50, 160))
        self.fd = self.proc.fd
        self.peak_rss_kb = 0
        self.head = b""  # the first bytes shown, to report a tool's error message

    def sample_rss(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
        except OSError:
            pass

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def drain(self, until=None, timeout=120.0):
        """Read until `until` appears (or EOF when None). Returns bytes seen."""
        seen = 0
        tail = b""
        deadline = time.monotonic() + timeout
        last_sample = 0.0
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.fd], [], [], 1.0)
            now = time.monotonic()
            if now - last_sample > 0.05:
                self.sample_rss()
                last_sample = now
            if not r:
                continue
            try:
                data = os.read(self.fd, 1 << 20)
            except OSError:
                data = b""
            if not data:
                return seen
            if len(self.head) < 300:
                self.head += data[:300]
            seen += len(data)
            if until is not None:
                tail = (tail + data)[-4096:]
                if until in tail:
                    return seen
        raise RuntimeError("timed out")

    def close(self):
        """Reap the recorder (ptyprocess's own close() would sleep 0.1 s)."""
        try:
            self.proc.wait()
        except Exception:
            pass
        self.proc.closed = True
        self.proc.fileobj.close()


def bench_throughput(make, env, path, size):
    start = time.perf_counter()
    outer = Outer(make(["cat", path]), env)
    seen = outer.drain()
    elapsed = time.perf_counter() - start
    outer.close()
    if seen < size:
        shown = outer.head.decode(errors="replace").replace("\r\n", " / ").strip()
        raise RuntimeError(f"lost output: {seen} of {size} bytes; it printed: {shown}")
    return size / elapsed / 1e6, outer.peak_rss_kb / 1024


def bench_echo(make, env, samples):
    outer = Outer(make(["cat"]), env)
    # Wait until the child's terminal echoes (the recorder is up and cat runs).
    deadline = time.monotonic() + 10
    while True:
        os.write(outer.fd, b"\x15")  # ^U: kill the line, harmless
        os.write(outer.fd, b"z")
        r, _, _ = select.select([outer.fd], [], [], 0.2)
        if r and b"z" in os.read(outer.fd, 65536):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("no echo")
    time.sleep(0.2)
    while select.select([outer.fd], [], [], 0.05)[0]:
        os.read(outer.fd, 65536)
    times = []
    for i in range(samples):
        if i % 64 == 63:  # end the line now and then; drain cat's copy of it
            os.write(outer.fd, b"\x15")
            while select.select([outer.fd], [], [], 0.02)[0]:
                os.read(outer.fd, 65536)
        t0 = time.perf_counter()
        os.write(outer.fd, b"a")
        got = b""
        while b"a" not in got:
            select.select([outer.fd], [], [], 5)
            got += os.read(outer.fd, 4096)
        times.append((time.perf_counter() - t0) * 1e6)
        time.sleep(0.002)
    os.write(outer.fd, b"\r\x04")
    outer.drain(timeout=10)
    outer.close()
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def pinned_echo(make, env, samples, cpu):
    """Echo p50 with this process on CPU 0 and the recorder on `cpu`."""
    mask = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        return bench_echo(lambda argv: ["taskset", "-c", cpu, *make(argv)], env, samples)[0]
    finally:
        os.sched_setaffinity(0, mask)


def bench_startup(make, env, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        outer = Outer(make(["true"]), env)
        outer.drain(timeout=20)
        outer.close()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_idle_cpu(make, env):
    outer = Outer(make(["sleep", "2.5"]), env)
    time.sleep(0.4)
    before = outer.cpu_seconds()
    time.sleep(2.0)
    after = outer.cpu_seconds()
    outer.drain(timeout=10)
    outer.close()
    return (after - before) * 1000


def make_text_file(path, size):
    """Terminal-like text: printable lines of varying length."""
    import base64
    import random

    rng = random.Random(7)
    block = bytearray()
    while len(block) < 1 << 20:
        n = rng.randint(20, 150)
        block += base64.b64encode(rng.randbytes(n))[:n] + b"\n"
    block = bytes(block[: 1 << 20])
    with open(path, "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
        f.write(block[: size % len(block)])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3, help="throughput runs per tool (median)")
    ap.add_argument("--echo", type=int, default=400, help="echo latency samples per tool")
    ap.add_argument("--starts", type=int, default=15, help="start-up runs per tool (median)")
    ap.add_argument("--only", help="comma-separated tool names")
    ap.add_argument("--cs", help="the cs to time (default: a fresh regular install of this checkout)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    cs = args.cs or installed_cs(tmp)
    env = dict(os.environ, TERM="xterm", CS_HOME=os.path.join(tmp, "cs-home"), HOME=tmp)
    env.pop("CS_SESSION_ID", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users' installs have their bytecode compiled
    data = os.path.join(tmp, "data.txt")
    size = args.mb * 1024 * 1024
    make_text_file(data, size)

    tools = recorders(tmp, cs)
    if args.only:
        wanted = set(args.only.split(","))
        tools = {k: v for k, v in tools.items() if k in wanted or k == "direct"}
    rows = {name: {} for name in tools}
    runs = {name: [] for name in tools}
    starts = {name: [] for name in tools}

    def attempt(name, what):
        if "error" in rows[name]:
            return
        try:
            what()
        except Exception as e:  # a tool that does not work here is reported, not fatal
            rows[name]["error"] = f"{type(e).__name__}: {e}"

    for _ in range(args.runs):  # rounds: every tool once per round
        for name, make in tools.items():
            attempt(name, lambda name=name, make=make: runs[name].append(bench_throughput(make, env, data, size)))
    for _ in range(args.starts):
        for name, make in tools.items():
            attempt(name, lambda name=name, make=make: starts[name].append(bench_startup(make, env, 1)))
    for name, make in tools.items():
        row = rows[name]
        attempt(name, lambda row=row, make=make: row.update(zip(("p50", "p99"), bench_echo(make, env, args.echo))))
        if shutil.which("taskset") and len(os.sched_getaffinity(0)) >= 2:
            for key, cpu in (("p50_same", "0"), ("p50_other", "1")):
                attempt(
                    name,
                    lambda row=row, make=make, key=key, cpu=cpu: row.update(
                        {key: pinned_echo(make, env, args.echo, cpu)}
                    ),
                )
        attempt(name, lambda row=row, make=make: row.update(idle=bench_idle_cpu(make, env)))
        if runs[name]:
            row["mbps"] = statistics.median(r[0] for r in runs[name])
            row["rss"] = max(r[1] for r in runs[name])
        if starts[name]:
            row["start"] = statistics.median(starts[name])
        print(f"{name}: {row}", file=sys.stderr, flush=True)
    shutil.rmtree(tmp, ignore_errors=True)

    print_table(rows, args)


def print_table(rows, args):
    base = rows.get("direct", {})
    ref = rows.get("script -q -f", {})
    print(
        f"\n{args.mb} MB through cat, {args.runs} runs (median); {args.echo} echo samples; "
        f"{args.starts} start-ups (median); {os.cpu_count()} CPUs\n"
    )
    print(
        "| tool | throughput MB/s | vs script | echo p50 µs | echo p99 µs | p50 vs script "
        "| p50 same CPU µs (vs script) | p50 other CPU µs (vs script) "
        "| start-up ms | over `true` ms | peak RSS MB | idle CPU ms / 2 s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        if "error" in r and "mbps" not in r:
            print(f"| {name} | failed: {r['error']} |||||||||||")
            continue

        def ratio(key, invert=False, r=r):
            if key not in r or key not in ref or not ref[key]:
                return "–"
            return f"{(ref[key] / r[key]) if invert else (r[key] / ref[key]):.2f}×"

        def pinned(key, r=r):
            return f"{r[key]:.0f} ({ratio(key)})" if key in r else "–"

        over = r["start"] - base["start"] if "start" in r and "start" in base else float("nan")
        print(
            f"| {name} | {r.get('mbps', 0):.0f} | {ratio('mbps')} | {r.get('p50', 0):.0f} | "
            f"{r.get('p99', 0):.0f} | {ratio('p50')} | {pinned('p50_same')} | {pinned('p50_other')} | "
            f"{r.get('start', 0):.1f} | {over:+.1f} | "
            f"{r.get('rss', 0):.1f} | {r.get('idle', 0):.0f} |"
        )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`cs show` on a big session: the story (this checkout) against the reading
order it replaced (another install of cs, `--base-cs`), in the same run.

    .venv/bin/python bench/bench_show.py --base-cs /path/to/older/venv/bin/cs [--mb 200] [--runs 3]
        [--corpus claude|fullscreen]

A finished session of `--mb` MB of log is written with the recorder's
encoders (bench_playback.write_session: a real Claude Code session recorded now
in a PTY against the loopback API stand-in, its reads repeated, or
bench_render's synthetic full-screen corpus), indexed once, then `cs show ID >
/dev/null` is timed with each cs, alternating, best and median of `--runs`.
The figure the issue asks for: the story within 2x of the base.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_playback

CS = str(Path(sys.executable).parent / "cs")


def timed(cs: str, env: dict, *args) -> float:
    start = time.perf_counter()
    subprocess.run([cs, *args], env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-cs", required=True, help="the cs to compare with (an install of an older checkout)")
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", choices=["claude", "fullscreen"], default="claude")
    args = parser.parse_args(argv)
    bench_playback.CORPUS["name"] = args.corpus
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = dict(os.environ, CS_HOME=str(home), HOME=str(home))
        sid = bench_playback.write_session(home / "logs", args.mb)
        size = sum(p.stat().st_size for p in (home / "logs").iterdir()) / 1e6
        subprocess.run([CS, "index", "-q"], env=env, check=True)
        base_home = home / "base"
        (base_home / "logs").mkdir(parents=True, mode=0o700)
        for log in (home / "logs").iterdir():  # (a linked logs/ is refused: the same files, hard-linked)
            os.link(log, base_home / "logs" / log.name)
        base_env = dict(env, CS_HOME=str(base_home))
        subprocess.run([args.base_cs, "index", "-q"], env=base_env, check=True)
        story, base = [], []
        for _ in range(args.runs):
            base.append(timed(args.base_cs, base_env, "show", sid))
            story.append(timed(CS, env, "show", sid))
    print(f"cs show of one {size:.0f} MB session ({args.corpus} corpus), best / median of {args.runs}:")
    print(f"  base (reading order):  {min(base):.2f} s / {statistics.median(base):.2f} s")
    print(f"  story (this checkout): {min(story):.2f} s / {statistics.median(story):.2f} s")
    print(
        f"  story / base: {min(story) / min(base):.2f}x best, {statistics.median(story) / statistics.median(base):.2f}x median"
    )


if __name__ == "__main__":
    main()

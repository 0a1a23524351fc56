#!/usr/bin/env python3
"""The team database at scale (issue 19, docs/team.md): a PostgreSQL cluster of
its own (tests/helpers/postgres.py: Debian's initdb in a temporary directory),
made the team's by the real `cs team init`, with 50 member logins.

1. Shipping, for real: one member `cs team join`s and `cs share`s sessions of
   bench_search.py's corpus (bench_index.py's Claude-like sessions, built into
   --corpus if missing), timed end to end; reported as MB of log per second
   (target >= 5) and the database's growth per GB of log shipped. The anchor,
   in the same run: `pg_dump`-free plain COPY of the same rows is not what a
   member runs, so the anchor is the local `cs index` of the same sessions
   (MB/s), measured beside it.
2. A generated team: --members (50) x --months (12) of sessions, --lines
   (20 million) searchable lines in all, in bench_index.py's vocabulary (error
   codes, file paths, the phrase), loaded with COPY as the superuser into the
   partitioned tables, indexes built after, ANALYZE. Search then runs as one
   member (row-level security on, as members run it): cs.team.search's
   statements in one connection (p50/p90 of --runs rounds over the queries:
   four words, an error code, the phrase), and the real `cs search --team`
   processes (p50), beside `cs search` of the local 1 GB index (the anchor).
   The database's size is reported.

    python3 bench/bench_team.py                                  # the whole run (about 40 minutes)
    python3 bench/bench_team.py --lines 2000000 --ship-sessions 20   # a quick look
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # noqa: E402
from bench.bench_index import PHRASE, sentence, words_vocab  # noqa: E402
from bench.bench_search import build  # noqa: E402
from tests.helpers.postgres import Cluster  # noqa: E402

ADMIN, ADMIN_PASSWORD, DB = "benchadmin", "bench-" + os.urandom(6).hex(), "team"
MEMBER_PASSWORD = "member-" + os.urandom(6).hex()


def env_for(home: Path, extra=None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "CS_"))}
    env.update(CS_HOME=str(home), CS_NO_DAEMON="1", HOME=str(home.parent), PGPASSWORD=MEMBER_PASSWORD)
    env.update(extra or {})
    return env


def run(cmd, env, **kw):
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return time.perf_counter() - t, proc


def tune(cluster: Cluster) -> None:
    """Settings of a real server with this machine's memory, then a restart."""
    for setting in (
        "shared_buffers = '2GB'",
        "maintenance_work_mem = '1GB'",
        "work_mem = '64MB'",
        "effective_cache_size = '8GB'",
        "max_wal_size = '8GB'",
        "log_statement = 'none'",
        "synchronous_commit = 'off'",
    ):
        cluster.sql(f"ALTER SYSTEM SET {setting}")
    cluster._run(cluster.bin / "pg_ctl", "-D", cluster.data, "-l", cluster.dir / "log", "-w", "-m", "fast", "restart")


def make_team(cluster: Cluster, cs: str, root: Path, members: int) -> list:
    cluster.sql(f"CREATE ROLE {ADMIN} LOGIN CREATEROLE PASSWORD '{ADMIN_PASSWORD}'")
    cluster.sql(f"CREATE DATABASE {DB} OWNER {ADMIN}")
    admin = env_for(root / "admin" / "cs", {"PGPASSWORD": ADMIN_PASSWORD})
    run([cs, "team", "init", cluster.url(ADMIN, db=DB)], admin, check=True)
    names = [f"m{i:02d}" for i in range(1, members + 1)]
    for name in names:
        run([cs, "team", "add", name, "--password-stdin"], admin, input=MEMBER_PASSWORD + "\n", check=True)
    return names


def db_bytes(cluster: Cluster) -> int:
    return cluster.sql("SELECT pg_database_size(%s)", [DB])[0][0]


def ship(cluster, cs, corpus: Path, member: str, sessions: int) -> dict:
    home = corpus / "home"
    env = env_for(home)
    run([cs, "team", "join", cluster.url(member, db=DB)], env, check=True)
    listed = json.loads(run([cs, "list", "--json"], env)[1].stdout)
    chosen = sorted(listed, key=lambda s: s["id"])[:sessions]
    log_bytes = sum(s["log_bytes"] for s in chosen)
    before = db_bytes(cluster)
    took, proc = run([cs, "share", *[s["id"] for s in chosen]], env, timeout=7200)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    cluster.sql("CHECKPOINT")
    grown = db_bytes(cluster) - before
    parts = {
        table: cluster.sql(
            "SELECT coalesce(sum(pg_table_size(inhrelid)), 0)::bigint, coalesce(sum(pg_indexes_size(inhrelid)), 0)::bigint"
            " FROM pg_inherits WHERE inhparent = %s::regclass",
            [f"cs_team.{table}"],
            db=DB,
        )[0]
        for table in ("sessions", "entries", "lines", "transcript_lines", "usage", "recording")
    }
    # The anchor: indexing the same sessions locally, from scratch, in a copy of their logs.
    anchor_home = corpus / "anchor-home"
    subprocess.run(["rm", "-rf", str(anchor_home)], check=True)
    (anchor_home / "logs").mkdir(parents=True)
    for s in chosen:
        for f in (home / "logs").glob(f"{s['id']}*"):
            os.link(f, anchor_home / "logs" / f.name)
    index_took, _ = run([cs, "index", "-q"], env_for(anchor_home), check=True)
    mb = log_bytes / 1e6
    return {
        "sessions": len(chosen),
        "log_mb": round(mb, 1),
        "share_s": round(took, 2),
        "share_mb_s": round(mb / took, 2),
        "index_mb_s": round(mb / index_took, 2),
        "db_growth_mb": round(grown / 1e6, 1),
        "db_mb_per_gb_of_log": round(grown / 1e6 / (mb / 1000), 0),
        "mb_per_gb_by_table": {
            t: [round(data / 1e6 / (mb / 1000)), round(index / 1e6 / (mb / 1000))] for t, (data, index) in parts.items()
        },
    }


def generate(cluster, names, months: int, total_lines: int, seed=7) -> dict:
    """COPY a year of the team into the partitioned tables (indexes dropped
    during the load, built after), as the superuser."""
    import psycopg

    rng = random.Random(seed)
    vocab = words_vocab(random.Random(1))
    codes = []
    today = datetime.now(UTC)
    month_starts = []
    d = date(today.year, today.month, 1)
    for _ in range(months):
        month_starts.append(d)
        d = (d - timedelta(days=1)).replace(day=1)
    per_session = 800
    sessions = max(1, total_lines // per_session)
    url = cluster.superuser_url(DB)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path TO cs_team, public")
        for m in month_starts:
            conn.execute("SELECT ensure_month(%s)", [m])
        conn.execute("DROP INDEX lines_text_trgm, lines_text_words, lines_ts")
        t = time.perf_counter()
        counter = [0]
        n_lines = 0
        with conn.cursor() as cur:
            with cur.copy(
                "COPY sessions (owner, id, month, started_at, ended_at, status, source, command, cwd, project, entries, lines) FROM STDIN"
            ) as copy:
                plan = []
                for i in range(sessions):
                    owner = names[i % len(names)]
                    m = month_starts[rng.randrange(len(month_starts))]
                    start = datetime(m.year, m.month, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(27 * 86400))
                    sid = f"{rng.getrandbits(128):032x}"
                    sid = f"{sid[:8]}-{sid[8:12]}-{sid[12:16]}-{sid[16:20]}-{sid[20:]}"
                    project = f"proj{rng.randrange(40):02d}"
                    plan.append((owner, sid, m, start))
                    copy.write(
                        f"{owner}\t{sid}\t{m}\t{start.isoformat()}\t{(start + timedelta(hours=1)).isoformat()}\tfinished\trecording\tclaude\t/home/{owner}/{project}\t{project}\t1\t{per_session}\n"
                    )
            with cur.copy(
                'COPY lines (owner, session_id, month, direction, text_hash, ts, kind, text, segment, "offset") FROM STDIN'
            ) as copy:
                for owner, sid, m, start in plan:
                    block = []
                    for j in range(per_session):
                        counter[0] += 1
                        words = sentence(rng, vocab, counter[0])
                        codes.extend(w for w in words if w[:1] == "E" and w[1:].isdigit())
                        kind = "prompt" if j % 40 == 0 else "reply"
                        ts = (start + timedelta(seconds=j * 3)).isoformat()
                        block.append(
                            f"{owner}\t{sid}\t{m}\ttranscript\t{counter[0]}\t{ts}\t{kind}\t{' '.join(words)}\t0\t{j * 200}\n"
                        )
                    copy.write("".join(block))
                    n_lines += per_session
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("CREATE INDEX lines_text_trgm ON lines USING gin (text gin_trgm_ops)")
        trgm_s = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("CREATE INDEX lines_text_words ON lines USING gin (to_tsvector('simple', text))")
        words_s = time.perf_counter() - t
        conn.execute("CREATE INDEX lines_ts ON lines (ts DESC NULLS LAST)")
        conn.execute("ANALYZE")
        index_s = time.perf_counter() - t + trgm_s
    return {
        "members": len(names),
        "months": months,
        "sessions": sessions,
        "lines": n_lines,
        "load_s": round(load_s),
        "trgm_index_s": round(trgm_s),
        "words_index_s": round(words_s),
        "index_s": round(index_s),
        "codes": codes,
        "vocab": vocab,
    }


def search(cluster, cs, root: Path, member: str, queries: list, runs: int) -> dict:
    """cs.team.search.search in one open connection, as a member (what a long-lived
    reader such as `cs web --team` pays), and `cs search --team` processes (what a
    command pays: start-up, connection, query)."""
    home = root / "searcher" / "cs"
    env = env_for(home)
    run([cs, "team", "join", cluster.url(member, db=DB)], env, check=True)
    os.environ.update(CS_HOME=str(home), PGPASSWORD=MEMBER_PASSWORD)
    from cs.team import connect
    from cs.team import search as team_search

    times = []
    with connect.connect(cluster.url(member, db=DB)) as conn:
        for q in queries:  # warm
            team_search.search(conn, (q,), limit=20)
        for _ in range(runs):
            for q in queries:
                t = time.perf_counter()
                found = team_search.search(conn, (q,), limit=20)
                times.append(time.perf_counter() - t)
                assert found, q
    procs = []
    for _ in range(max(3, runs // 3)):
        for q in queries:
            took, proc = run([cs, "search", "--team", "-n", "20", q], env)
            assert proc.returncode == 0, f"cs search --team {q!r}: {proc.stderr}"
            procs.append(took)
    return {
        "query_p50_ms": round(statistics.median(times) * 1000, 1),
        "query_p90_ms": round(sorted(times)[int(len(times) * 0.9)] * 1000, 1),
        "cli_p50_ms": round(statistics.median(procs) * 1000, 1),
    }


def local_anchor(cs, corpus: Path, queries, runs) -> float:
    env = env_for(corpus / "home")
    times = []
    for _ in range(runs):
        for q in queries:
            times.append(run([cs, "search", "-n", "20", q], env)[0])
    return round(statistics.median(times) * 1000, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cs", default=str(Path(sys.executable).parent / "cs"))
    ap.add_argument("--corpus", default="/tmp/cs-search-1g", help="bench_search.py's corpus (built if missing)")
    ap.add_argument("--members", type=int, default=50)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--lines", type=int, default=20_000_000)
    ap.add_argument("--ship-sessions", type=int, default=100, help="sessions of the corpus one member shares")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()

    corpus = Path(args.corpus)
    if not (corpus / "home" / "index.db").exists():
        build(corpus, 500, 1000, args.cs, env_for(corpus / "home"))
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"cs-bench-team-{os.getpid()}"
    root.mkdir()
    cluster = Cluster()
    try:
        cluster.start()
        tune(cluster)
        names = make_team(cluster, args.cs, root, args.members)
        shipped = ship(cluster, args.cs, corpus, names[0], args.ship_sessions)
        print(f"shipping: {json.dumps(shipped)}", flush=True)
        team = generate(cluster, names, args.months, args.lines)
        rng = random.Random(2)
        queries = [rng.choice(team["vocab"]) for _ in range(4)] + [team["codes"][len(team["codes"]) // 2], PHRASE]
        size = db_bytes(cluster)
        found = search(cluster, args.cs, root, names[1], queries, args.runs)
        anchor = local_anchor(args.cs, corpus, queries[:4] + [PHRASE], max(3, args.runs // 3))
        team.pop("codes"), team.pop("vocab")
        print(f"team: {json.dumps(team)}; database {size / 1e9:.2f} GB", flush=True)
        print(
            f"search as {names[1]}: {json.dumps(found)}; local `cs search` of the 1 GB corpus p50 {anchor} ms",
            flush=True,
        )
        print(f"queries: {queries}")
    finally:
        cluster.stop()
        subprocess.run(["rm", "-rf", str(root)])


if __name__ == "__main__":
    main()

"""A real PostgreSQL for the team tests: a cluster of its own, made with
Debian's initdb in a temporary directory, listening on a free loopback port
with password logins (scram-sha-256), stopped and removed at the end.

initdb and postgres refuse to run as root: as root they run as the `postgres`
system user (`runuser -u postgres --`), in a directory that user owns; as
anyone else, as that user. Without PostgreSQL installed the test is skipped,
saying so (a failure in CI: tests.helpers.tools.missing_tool).
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.helpers.tools import missing_tool

SUPERUSER = "postgres"


def bin_dir():
    """The directory of initdb and pg_ctl (the newest Debian version, or PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One running PostgreSQL (see the module doc); `url(user, password, db)`."""

    def __init__(self):
        self.bin = bin_dir()
        if self.bin is None:
            missing_tool("PostgreSQL (apt install postgresql)")
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="cs-pg-"))
        self.data = self.dir / "data"
        self.password = "superuser-" + os.urandom(8).hex()
        self.port = free_port()
        self.started = False

    def _run(self, *argv, check=True):
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return subprocess.run(
            [*prefix, *map(str, argv)], capture_output=True, text=True, check=check, timeout=120, cwd=self.dir
        )

    def start(self) -> "Cluster":
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            self.bin / "initdb",
            "-D",
            self.data,
            "-U",
            SUPERUSER,
            "--pwfile",
            pwfile,
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        # Every statement in the log: a test can tell what the server was sent (no password).
        self.options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off -c log_statement=all"
        self.resume()
        return self

    def resume(self) -> None:
        """Start the server (again, after `pause`: same data, same port)."""
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.dir / "log", "-o", self.options, "-w", "start")
        except subprocess.CalledProcessError as exc:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise RuntimeError(f"postgres did not start: {exc.stderr}\n{log}") from None
        self.started = True

    def pause(self) -> None:
        """Stop the server (fast: clients are cut off), keeping its data: `resume` starts it again."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        self.started = False

    def replica(self) -> "Cluster":
        """A streaming replica of this server (pg_basebackup -R: a standby that
        follows it, read-only), started on a port of its own; stop it with `stop`."""
        standby = Cluster.__new__(Cluster)
        standby.bin, standby.as_root, standby.password = self.bin, self.as_root, self.password
        standby.dir = Path(tempfile.mkdtemp(prefix="cs-pg-replica-"))
        standby.data, standby.port, standby.started = standby.dir / "data", free_port(), False
        if self.as_root:
            shutil.chown(standby.dir, "postgres", "postgres")
        conninfo = f"host=127.0.0.1 port={self.port} user={SUPERUSER} password={self.password}"
        standby._run(
            self.bin / "pg_basebackup",
            "-d",
            conninfo,
            "-D",
            standby.data,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        standby.options = self.options.replace(f"-p {self.port}", f"-p {standby.port}").replace(
            f"-k {self.dir}", f"-k {standby.dir}"
        )
        standby.resume()
        return standby

    def caught_up(self, replica: "Cluster", timeout: float = 30) -> None:
        """Wait until the replica has replayed everything this server wrote so far."""
        import time

        (lsn,) = self.sql("SELECT pg_current_wal_lsn()::text")[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            (done,) = replica.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])[0]
            if done:
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not replay up to {lsn} in {timeout} s")

    def stop(self) -> None:
        if self.started:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        return (self.dir / "log").read_text(errors="replace")

    def url(self, user: str, password: str = None, db: str = "postgres") -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{db}"

    def superuser_url(self, db: str = "postgres") -> str:
        return self.url(SUPERUSER, self.password, db)

    def sql(self, statement: str, params=(), db: str = "postgres", user=None, password=None):
        """Run one statement in its own connection; its rows (or None)."""
        import psycopg

        url = self.url(user, password, db) if user else self.superuser_url(db)
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else None

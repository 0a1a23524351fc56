"""A team of the tests' own on a real PostgreSQL (tests.helpers.postgres): an
admin who owns the team database and may create roles, and two members with
real logins -- alice (her password in ~/.pgpass) and bob (his in
PGPASSWORD) -- each with a HOME and cs home of their own, driving the real
`cs`. Used by tests/test_team.py and tests/test_team_reading.py (each module
starts a cluster of its own: `team_fixture`)."""

import os
import stat

from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter
from tests.helpers.postgres import Cluster
from tests.helpers.transcripts import SECRETS

ADMIN, ADMIN_PASSWORD, DB = "teamadmin", "admin-" + os.urandom(6).hex(), "team"
TABLES = ("sessions", "entries", "lines", "transcript_lines", "usage", "recording")


class Person:
    """A user of their own: HOME, cs home, how libpq finds their password."""

    def __init__(self, root, name, password=None, pgpass_url=None):
        self.name, self.password = name, password
        self.home = root / name
        self.home.mkdir()
        self.cs_home = self.home / "cs-home"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.env.update(HOME=str(self.home), CS_HOME=str(self.cs_home), CS_NO_DAEMON="1")

    def use_pgpass(self, port, password):
        pgpass = self.home / ".pgpass"
        pgpass.write_text(f"127.0.0.1:{port}:{DB}:{self.name}:{password}\n")
        pgpass.chmod(stat.S_IRUSR | stat.S_IWUSR)

    def use_pgpassword(self, password):
        self.env["PGPASSWORD"] = password

    def cs(self, *args, check=True, input=None):
        return run_cs(None, *args, env=self.env, check=check, input=input)

    @property
    def logs(self):
        return self.cs_home / "logs"


class Team:
    def __init__(self, cluster, root):
        self.cluster = cluster
        self.admin = Person(root, ADMIN)
        self.admin.use_pgpassword(ADMIN_PASSWORD)
        self.url = cluster.url(ADMIN, db=DB)
        self.alice = Person(root, "alice")
        self.bob = Person(root, "bob")
        self.root = root

    def member_url(self, name):
        return self.cluster.url(name, db=DB)

    def sql(self, statement, params=()):
        """As the superuser, in the team database."""
        return self.cluster.sql(statement, params, db=DB)

    def connect_as(self, person, password):
        import psycopg

        conn = psycopg.connect(self.cluster.url(person, password, DB), autocommit=True)
        conn.execute("SET search_path TO cs_team, public")
        return conn


def team_fixture(tmp_path_factory):
    """The admin's `cs team init`, `cs team add alice` (a generated password)
    and `cs team add bob --password-stdin`; both joined."""
    cluster = Cluster()
    try:
        cluster.start()
        cluster.sql(f"CREATE ROLE {ADMIN} LOGIN CREATEROLE PASSWORD '{ADMIN_PASSWORD}'")
        cluster.sql(f"CREATE DATABASE {DB} OWNER {ADMIN}")
        t = Team(cluster, tmp_path_factory.mktemp("team"))
        t.init_output = t.admin.cs("team", "init", t.url).stdout
        added = t.admin.cs("team", "add", "alice").stdout
        t.alice.password = next(
            line.split(": ", 1)[1] for line in added.splitlines() if line.startswith("password (shown once)")
        )
        t.add_output = added
        t.bob.password = "bob-" + os.urandom(8).hex()
        t.admin.cs("team", "add", "bob", "--password-stdin", input=t.bob.password + "\n")
        t.alice.use_pgpass(cluster.port, t.alice.password)
        t.bob.use_pgpassword(t.bob.password)
        t.alice.cs("team", "join", t.member_url("alice"))
        t.bob.cs("team", "join", t.member_url("bob"))
        yield t
    finally:
        cluster.stop()


def alices_session(team, word, secret=SECRETS["github"]) -> str:
    """A finished shell session of alice's: a word to find, a secret on the screen, typed, in the
    command line, and one in its working directory."""
    argv = ("bash", "-c", f"deploy --token {secret}")
    w = LogWriter(team.alice.logs, argv=argv, cwd=f"/home/alice/{SECRETS['aws']}/proj", lock=False)
    w.output(f"$ deploy --token {secret}\r\n", dt=0.05)
    w.output(f"{word} ledger reconciled, token {secret} accepted\r\n", dt=0.05)
    w.input(f"export STRIPE={SECRETS['stripe']}\r", dt=0.05)
    w.input("exit\r", dt=0.05)
    w.end()
    return w.sid

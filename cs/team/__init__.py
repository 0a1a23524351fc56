"""Teams: sessions shared through the team's PostgreSQL (docs/team.md).

`cs team init URL` makes a database the team's: the schema (the append-only
migrations in migrations/team/, shipped as cs.migrations.team), a NOLOGIN
group role `cs_member`, row-level security ENABLED and FORCED on every table
(members read everything shared; insert, change and delete only rows whose
`owner` is their own login, `current_user`: the database's word, never the
client's); `cs team add NAME` makes a member's login. `cs share ID...`
ships a session's metadata, story entries and searchable lines, redacted
before they leave the machine, idempotently; `cs unshare ID...` takes them
back out; `cs search --team` searches what the team shared (pg_trgm serves the
substring search).

Shipping is incremental (a private watermark per session, marks.py) and
the watcher ships followed sessions (`team_share`, and those shared with `cs
share`) after its passes, in its own thread (follow.py).

Modules: url.py (team URLs: no password kept, TLS or not), connect.py
(opening a connection, psycopg's errors turned into cs errors, the last error
kept for `cs team status`), schema.py (migrations, the admin's roles),
share.py (what is shipped, shipping it, taking it back), marks.py
(watermarks), follow.py (the watcher's shipping), search.py (`cs search
--team`), read.py (`list`, `show`, `replay`, `stats` and `web` with --team: what
was shared, redacted again with the reader's patterns and made printable),
handoff.py and remote.py (`cs resume --team`), prune.py (`cs team prune`).

May import: cs.log, cs.db, cs.config, cs.units, cs.story, cs.ask, cs.claude, cs.playback,
cs.errors. psycopg is imported only here, and only when a team command runs
(the [team] extra).
"""

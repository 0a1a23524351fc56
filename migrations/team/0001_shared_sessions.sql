-- The team database: sessions the members shared, their stories and their
-- searchable lines. Shipped migrations are never edited: a change is a new
-- numbered file. Applied by `cs team init` (cs/team/schema.py) in the schema
-- cs_team, in one transaction with its row in cs_team_migrations.
--
-- Who may do what is the database's word, not the client's: every row has an
-- owner, the login that wrote it (DEFAULT current_user, checked by the
-- policies below); row-level security is ENABLED and FORCED (without FORCE the
-- tables' owner, the admin, would skip it). Members (the NOLOGIN group role
-- cs_member) read everything shared; they insert, change and delete only
-- their own rows. Members of cs_admin (the role that ran init) may delete any
-- row. Roles are the cluster's: one team per PostgreSQL cluster.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cs_member') THEN
        CREATE ROLE cs_member NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cs_admin') THEN
        CREATE ROLE cs_admin NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
GRANT cs_admin TO CURRENT_USER;
GRANT cs_member TO CURRENT_USER;  -- the admin shares sessions as a member does

-- Only the team connects to the team's database.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cs_member', current_database());
END
$$;
REVOKE ALL ON SCHEMA cs_team FROM PUBLIC;
GRANT USAGE ON SCHEMA cs_team TO cs_member;

-- Substring search (ILIKE '%...%') served by a trigram GIN index. pg_trgm is a
-- trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per shared session: its metadata, redacted before it was shipped.
CREATE TABLE sessions (
    owner name NOT NULL DEFAULT current_user,
    id text NOT NULL,                     -- the session's uuid (its log's name)
    started_at timestamptz,
    ended_at timestamptz,
    status text,                          -- running | finished | cut_off
    source text,                          -- recording | transcript
    command text,
    argv jsonb,
    cwd text,
    project text,
    host text,
    git_branch text,
    git_commit text,
    exit_code integer,
    claude_session_id text,
    cs_version text,
    entries integer NOT NULL DEFAULT 0,   -- story entries shipped
    lines integer NOT NULL DEFAULT 0,     -- searchable lines shipped
    shared_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, id)               -- a member's id never collides with another's
);
CREATE INDEX sessions_started_at ON sessions (started_at);

-- The story of a shared session (cs.story.model.Entry), in order.
CREATE TABLE entries (
    owner name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    seq integer NOT NULL,                 -- its place in the story, from 0
    ts timestamptz,
    kind text NOT NULL,
    source text NOT NULL,                 -- screen | transcript | both
    text text NOT NULL,
    at_segment integer,                   -- where a player opens (the recording's position)
    at_offset bigint,
    PRIMARY KEY (owner, session_id, seq),
    FOREIGN KEY (owner, session_id) REFERENCES sessions (owner, id) ON DELETE CASCADE
);

-- The searchable lines of a shared session (the local index's lines): each
-- distinct line once per session and direction, keyed by its hash, so that
-- shipping again adds only what is new.
CREATE TABLE lines (
    owner name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    direction text NOT NULL CHECK (direction IN ('input', 'output', 'transcript')),
    text_hash bigint NOT NULL,            -- cs.db.text_hash of text
    ts timestamptz,
    kind text,                            -- transcript lines: prompt, reply, tool, result
    text text NOT NULL,
    segment integer,
    "offset" bigint,
    PRIMARY KEY (owner, session_id, direction, text_hash),
    FOREIGN KEY (owner, session_id) REFERENCES sessions (owner, id) ON DELETE CASCADE
);
CREATE INDEX lines_text_trgm ON lines USING gin (text gin_trgm_ops);
CREATE INDEX lines_ts ON lines (ts);

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, entries, lines TO cs_member;
GRANT SELECT ON cs_team_migrations TO cs_member;

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE entries FORCE ROW LEVEL SECURITY;
ALTER TABLE lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE lines FORCE ROW LEVEL SECURITY;

CREATE POLICY team_reads ON sessions FOR SELECT TO cs_member USING (true);
CREATE POLICY own_inserts ON sessions FOR INSERT TO cs_member WITH CHECK (owner = current_user);
CREATE POLICY own_updates ON sessions FOR UPDATE TO cs_member
    USING (owner = current_user) WITH CHECK (owner = current_user);
CREATE POLICY own_deletes ON sessions FOR DELETE TO cs_member USING (owner = current_user);
CREATE POLICY admin_deletes ON sessions FOR DELETE TO cs_admin USING (true);

CREATE POLICY team_reads ON entries FOR SELECT TO cs_member USING (true);
CREATE POLICY own_inserts ON entries FOR INSERT TO cs_member WITH CHECK (owner = current_user);
CREATE POLICY own_updates ON entries FOR UPDATE TO cs_member
    USING (owner = current_user) WITH CHECK (owner = current_user);
CREATE POLICY own_deletes ON entries FOR DELETE TO cs_member USING (owner = current_user);
CREATE POLICY admin_deletes ON entries FOR DELETE TO cs_admin USING (true);

CREATE POLICY team_reads ON lines FOR SELECT TO cs_member USING (true);
CREATE POLICY own_inserts ON lines FOR INSERT TO cs_member WITH CHECK (owner = current_user);
CREATE POLICY own_updates ON lines FOR UPDATE TO cs_member
    USING (owner = current_user) WITH CHECK (owner = current_user);
CREATE POLICY own_deletes ON lines FOR DELETE TO cs_member USING (owner = current_user);
CREATE POLICY admin_deletes ON lines FOR DELETE TO cs_admin USING (true);

-- Every table partitioned by month, and what else a shared session carries:
-- its archived Claude transcript (for reading and for `cs resume --team`), its
-- token usage (`cs stats --team`), its recording (`cs replay --team`, when the
-- owner ships it), and the git remote a hand-off matches a checkout by.
--
-- Partitions: `month` is the first day of the month the session started (UTC),
-- on every row of the session (the foreign keys carry it), so a session lives
-- in one partition of each table and `cs team prune --older` drops whole
-- months. Members cannot create tables; ensure_month(), run as the schema's
-- owner (SECURITY DEFINER, its search_path fixed), makes a month's partitions
-- the first time a member ships into it.
--
-- The tables of 0001 are copied into the new ones and dropped. Row-level
-- security is the same as 0001's: ENABLED and FORCED; members read every
-- row and write only their own (owner = current_user); cs_admin deletes any.

CREATE TEMPORARY TABLE old_sessions ON COMMIT DROP AS SELECT * FROM sessions;
CREATE TEMPORARY TABLE old_entries ON COMMIT DROP AS SELECT * FROM entries;
CREATE TEMPORARY TABLE old_lines ON COMMIT DROP AS SELECT * FROM lines;
DROP TABLE lines, entries, sessions;

CREATE TABLE sessions (
    owner name NOT NULL DEFAULT current_user,
    id text NOT NULL,                     -- the session's uuid (its log's name)
    month date NOT NULL,                  -- first day of the month it started (UTC): its partition
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
    git_remote text,                      -- origin's URL as host/path (no scheme, user or .git)
    exit_code integer,
    claude_session_id text,
    cs_version text,
    cols integer,
    rows integer,
    continued_owner name,                 -- a hand-off (`cs resume --team`): whose session ...
    continued_id text,                    -- ... this one continued
    entries integer NOT NULL DEFAULT 0,   -- story entries shipped
    lines integer NOT NULL DEFAULT 0,     -- searchable lines shipped
    recording boolean NOT NULL DEFAULT false,  -- its recording is shipped too
    log_bytes bigint NOT NULL DEFAULT 0,  -- size of its log on the owner's machine
    shared_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, id, month)
) PARTITION BY RANGE (month);
CREATE INDEX sessions_started_at ON sessions (started_at);
CREATE INDEX sessions_id ON sessions (id text_pattern_ops);
CREATE INDEX sessions_remote ON sessions (git_remote);

-- The story of a shared session (cs.story.model.Entry), in order.
CREATE TABLE entries (
    owner name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    month date NOT NULL,
    seq integer NOT NULL,                 -- its place in the story, from 0
    ts timestamptz,
    kind text NOT NULL,
    source text NOT NULL,                 -- screen | transcript | both
    text text NOT NULL,
    at_segment integer,                   -- where a player opens (the recording's position)
    at_offset bigint,
    PRIMARY KEY (owner, session_id, month, seq),
    FOREIGN KEY (owner, session_id, month) REFERENCES sessions (owner, id, month) ON DELETE CASCADE
) PARTITION BY RANGE (month);

-- The searchable lines (the local index's lines): each distinct line once per
-- session and direction, keyed by its text's hash. Substrings are served by a
-- trigram index, words (`cs search --team --fts`) by a full-text one.
CREATE TABLE lines (
    owner name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    month date NOT NULL,
    direction text NOT NULL CHECK (direction IN ('input', 'output', 'transcript')),
    text_hash bigint NOT NULL,            -- cs.db.text_hash of text
    ts timestamptz,
    kind text,                            -- transcript lines: prompt, reply, tool, result, ...
    text text NOT NULL,
    segment integer,
    "offset" bigint,
    PRIMARY KEY (owner, session_id, month, direction, text_hash),
    FOREIGN KEY (owner, session_id, month) REFERENCES sessions (owner, id, month) ON DELETE CASCADE
) PARTITION BY RANGE (month);
CREATE INDEX lines_text_trgm ON lines USING gin (text gin_trgm_ops);
CREATE INDEX lines_text_words ON lines USING gin (to_tsvector('simple', text));
CREATE INDEX lines_ts ON lines (ts DESC NULLS LAST);  -- newest first: `cs search --team` reads the newest lines first

-- The archived Claude Code transcript, line by line, each line redacted as
-- JSON (a valid transcript line still): what `cs resume --team` writes where
-- the member's Claude Code looks for it.
CREATE TABLE transcript_lines (
    owner name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    month date NOT NULL,
    claude_session_id text NOT NULL,      -- <id>, or <id>/subagents/<file>
    line_no integer NOT NULL,             -- from 0, in the archived file
    ts timestamptz,
    line text NOT NULL,
    PRIMARY KEY (owner, session_id, month, claude_session_id, line_no),
    FOREIGN KEY (owner, session_id, month) REFERENCES sessions (owner, id, month) ON DELETE CASCADE
) PARTITION BY RANGE (month);

-- Token usage, each (message id, request id) once (it repeats on every line
-- of one API response in the transcript).
CREATE TABLE usage (
    owner name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    month date NOT NULL,
    message_id text NOT NULL,
    request_id text NOT NULL,
    claude_session_id text,
    ts timestamptz,
    model text,
    input_tokens bigint NOT NULL DEFAULT 0,
    output_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens bigint NOT NULL DEFAULT 0,
    cache_write_tokens bigint NOT NULL DEFAULT 0,
    sidechain boolean NOT NULL DEFAULT false,
    PRIMARY KEY (owner, session_id, month, message_id, request_id),
    FOREIGN KEY (owner, session_id, month) REFERENCES sessions (owner, id, month) ON DELETE CASCADE
) PARTITION BY RANGE (month);

-- The recording, redacted, as a player's events: `o` output, `i` input, `r`
-- a resize ("COLSxROWS"), at `elapsed` seconds from the start. Shipped only
-- with `team_share_recording` on; a live session's events are appended, and
-- an event once shipped never changes.
CREATE TABLE recording (
    owner name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    month date NOT NULL,
    seq integer NOT NULL,                 -- from 0
    elapsed double precision NOT NULL,
    kind text NOT NULL CHECK (kind IN ('o', 'i', 'r')),
    data text NOT NULL,
    at_segment integer,                   -- where in the log it came from
    at_offset bigint,
    PRIMARY KEY (owner, session_id, month, seq),
    FOREIGN KEY (owner, session_id, month) REFERENCES sessions (owner, id, month) ON DELETE CASCADE
) PARTITION BY RANGE (month);

-- A month's partitions of every table, made once (by the schema's owner, for
-- whoever ships first into that month), for months from 2000 to a year ahead.
-- Two members racing are serialised by an advisory lock.
CREATE FUNCTION ensure_month(m date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = cs_team, pg_temp AS $$
DECLARE
    first date := date_trunc('month', m)::date;
    after date := (date_trunc('month', m) + interval '1 month')::date;
    t text;
BEGIN
    IF to_regclass(format('cs_team.%I', 'sessions_' || to_char(first, 'YYYY_MM'))) IS NOT NULL THEN
        RETURN;
    END IF;
    -- A session's start comes from its log, untrusted: no table for a month no session can have.
    IF first < DATE '2000-01-01' OR first > now() + interval '1 year' THEN
        RAISE EXCEPTION 'a session that started in % cannot be shared: its start time is wrong', to_char(first, 'YYYY-MM');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('cs_team.ensure_month'));
    FOREACH t IN ARRAY ARRAY['sessions', 'entries', 'lines', 'transcript_lines', 'usage', 'recording'] LOOP
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS cs_team.%I PARTITION OF cs_team.%I FOR VALUES FROM (%L) TO (%L)',
            t || '_' || to_char(first, 'YYYY_MM'), t, first, after
        );
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION ensure_month(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_month(date) TO cs_member;

-- The rows of 0001, each in its month.
SELECT ensure_month(m) FROM (
    SELECT DISTINCT date_trunc('month', coalesce(started_at, shared_at) AT TIME ZONE 'UTC')::date AS m FROM old_sessions
) months;
INSERT INTO sessions (owner, id, month, started_at, ended_at, status, source, command, argv, cwd, project, host,
                      git_branch, git_commit, exit_code, claude_session_id, cs_version, entries, lines, shared_at,
                      updated_at)
SELECT owner, id, date_trunc('month', coalesce(started_at, shared_at) AT TIME ZONE 'UTC')::date, started_at,
       ended_at, status, source, command, argv, cwd, project, host, git_branch, git_commit, exit_code,
       claude_session_id, cs_version, entries, lines, shared_at, updated_at
FROM old_sessions;
INSERT INTO entries (owner, session_id, month, seq, ts, kind, source, text, at_segment, at_offset)
SELECT e.owner, e.session_id, s.month, e.seq, e.ts, e.kind, e.source, e.text, e.at_segment, e.at_offset
FROM old_entries e JOIN sessions s ON s.owner = e.owner AND s.id = e.session_id;
INSERT INTO lines (owner, session_id, month, direction, text_hash, ts, kind, text, segment, "offset")
SELECT l.owner, l.session_id, s.month, l.direction, l.text_hash, l.ts, l.kind, l.text, l.segment, l."offset"
FROM old_lines l JOIN sessions s ON s.owner = l.owner AND s.id = l.session_id;

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, entries, lines, transcript_lines, usage, recording TO cs_member;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sessions', 'entries', 'lines', 'transcript_lines', 'usage', 'recording'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY team_reads ON %I FOR SELECT TO cs_member USING (true)', t);
        EXECUTE format('CREATE POLICY own_inserts ON %I FOR INSERT TO cs_member WITH CHECK (owner = current_user)', t);
        EXECUTE format('CREATE POLICY own_updates ON %I FOR UPDATE TO cs_member'
                       ' USING (owner = current_user) WITH CHECK (owner = current_user)', t);
        EXECUTE format('CREATE POLICY own_deletes ON %I FOR DELETE TO cs_member USING (owner = current_user)', t);
        EXECUTE format('CREATE POLICY admin_deletes ON %I FOR DELETE TO cs_admin USING (true)', t);
    END LOOP;
END
$$;

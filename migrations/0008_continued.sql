-- A hand-off (`cs resume --team`, cs/team/handoff.py): the team's session a
-- recording continued, from its log's `continued` event line
-- (docs/log-format.md). Logs written before have no such line: nothing to
-- read again.
ALTER TABLE sessions ADD COLUMN continued_owner TEXT;
ALTER TABLE sessions ADD COLUMN continued_id TEXT;

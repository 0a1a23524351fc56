-- Newest-first search can stop early (cs/ask/search.py, docs/schema.md): FTS5 hands
-- out matches by descending line id at no cost, and a line id says nothing of its
-- time, except through this table: for each block of 4096 line ids (id >> 12), the
-- newest ts any line of the block has had. The indexer adds the blocks of new ids
-- at the end of every pass (line_ts_progress: how far it has); the trigger raises a
-- block when a line's ts is updated (a provisional line confirmed). Deleting lines
-- leaves the blocks as they are: an upper bound stays one.
CREATE TABLE line_ts_blocks (
    block INTEGER PRIMARY KEY,
    max_ts TEXT NOT NULL
);
CREATE TABLE line_ts_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through INTEGER NOT NULL              -- every line id up to this one is in line_ts_blocks
);
INSERT INTO line_ts_progress (id, through) VALUES (1, 0);
CREATE TRIGGER lines_ts_block_au AFTER UPDATE OF ts ON lines BEGIN
    INSERT INTO line_ts_blocks (block, max_ts) VALUES (new.id >> 12, new.ts)
    ON CONFLICT (block) DO UPDATE SET max_ts = excluded.max_ts WHERE excluded.max_ts > line_ts_blocks.max_ts;
END;

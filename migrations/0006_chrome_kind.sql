-- The story of a session (cs/story, docs/rendering.md): a screen line of Claude
-- Code that is its chrome (the input box, spinners, status and mode lines, hints)
-- is stored with kind 'chrome', and search leaves such lines out unless asked
-- (`cs search --kind chrome`). Which lines are chrome is decided in Python
-- (cs.index.render.is_chrome), so the screen's lines are dropped and the logs
-- read again: the index is derived data, rebuilt by the next `cs index` (or any
-- reading command, within its budget). Typed and transcript lines stay.
DELETE FROM lines WHERE direction = 'output';
DELETE FROM log_files;
DELETE FROM render_state;
DELETE FROM catch_up_watermark;

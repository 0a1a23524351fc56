"""Claude Code's own transcript, kept with each recording of `claude`.

What is here: reading a transcript (`transcript`: Claude Code's internal JSONL,
read defensively), finding and archiving a recording's transcripts into the cs
home as they grow (`archive`), linking recordings to Claude sessions (`link`),
indexing them and their token usage (`index`), the conversation view
(`conversation`), resuming (`resume`) and statistics (`stats`).

May import: cs.log, cs.db, cs.config, cs.units. Never cs.cli. (The recorder's
side of linking, which must stay cheap, is cs.record.claude_link.)
"""

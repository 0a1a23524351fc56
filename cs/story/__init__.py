"""The story of a session: what happened in it, told once, in order, without the
chrome a terminal UI redraws all the time.

One type (`cs.story.model.Entry`: time, kind, source, text, position in the
recording), built in one place (`cs.story.build.build_story`) from the rendered
screen (`cs.story.screen`, the index's renderer watched as it draws) and, where
the recording is linked to one, Claude Code's archived transcript. Every reader
tells this story: `cs show`, the text, Markdown and HTML exports, the web
session page, `cs tail --text`, the index's `chrome` kind, and `cs mcp`
(`cs.story.text` renders it as lines or Markdown). docs/rendering.md, "The story
of a session", says how it is made and where it can still be wrong.

May import: cs.log, cs.db, cs.index (the renderer), cs.claude (the transcript),
cs.config (the redactor), cs.units, cs.errors. Never cs.ask, cs.playback, cs.web
or cs.cli: they read the story, not the other way round.
"""

"""`cs mcp`: Claude Code searches and reads its own past sessions, over the
Model Context Protocol (stdio).

What is here: the tools a model sees (`tools`: names, descriptions, JSON
schemas, and the answers, bounded in characters, with a next-page handle,
redacted), the arguments a model sends checked against those schemas
(`arguments`: anything else is a tool error, never a crash), the server on the
official Python SDK (`server`: one failing call never takes it down), and
registering it with Claude Code (`install`). docs/mcp.md says what each tool
answers.

Needs the `mcp` extra (the SDK) for `server` only: `pip install 'cs-sessions[mcp]'`.
May import: cs.log, cs.db, cs.index (opening the index, the catch-up), cs.ask,
cs.claude, cs.story, cs.config, cs.units, cs.errors. Never cs.cli: the click
layer starts the server and prints what `install` returns.
Tests: tests/test_mcp.py (the SDK's own client over stdio against the real
`cs mcp`), tests/test_mcp_claude.py (the real Claude Code CLI runs a tool).
"""

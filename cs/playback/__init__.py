"""Watching a session again: replay in the terminal (and, later, export and tail).

May import: cs.log, cs.db, cs.ask, cs.index, cs.claude, cs.config, cs.units,
cs.errors. Never cs.cli.
"""

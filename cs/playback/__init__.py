"""Watching a session again: replay in the terminal (and, later, export and tail).

May import: cs.log, cs.ask, cs.index, cs.units, cs.errors, cs.config. Never cs.cli.
"""

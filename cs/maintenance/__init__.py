"""Keeping the house: inventory of the logs, retention policy, prune, compress.

May import: cs.log, cs.db, cs.config, cs.units, cs.errors, and cs.claude (an
archived transcript goes with the last recording that links it). Never cs.cli.
"""

"""Keeping the house: inventory of the logs, retention policy, prune, compress.

May import: cs.log, cs.db, cs.config, cs.units, cs.errors, and cs.index for its
pass lock (so that a prune never races an indexing pass). Never cs.cli.
"""

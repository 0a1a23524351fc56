"""Questions to the index: search, list, show, resolve an id prefix.

May import: cs.log, cs.db, cs.index (the one render path, the catch-up), cs.claude,
cs.units, cs.errors. Never cs.cli: functions return data, the CLI formats it.
"""

"""The log: the source of truth of cs, and what every other room builds on.

What is here: the line format (`jsonl`), which files hold a session and the one
directory scan that finds them (`store`), private paths (`paths`), the live lock
(`liveness`), UTF-8 that arrives in chunks (`utf8`).

May import: the standard library only. No other room of cs (a test keeps it so:
tests/test_architecture.py). The recorder imports this package on every
`claude` start, so it stays cheap to import.
"""

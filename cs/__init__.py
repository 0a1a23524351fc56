"""cs: record every Claude Code session, invisibly; index it, search it, keep it."""

__version__ = "0.1.0"

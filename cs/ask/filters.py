"""What a question is narrowed by: one `Filters` type for `cs search`, `cs list`
(and everything that selects sessions the same way), built once by the CLI.

Values are as stored: `since`/`until` RFC 3339 UTC strings (cs.log.timestamps),
`cwd` an absolute directory, `session` an id prefix. Nothing the user types is
ever an SQL wildcard or SQL text: every value is a bound parameter.
"""

FIELDS = ("session", "cwd", "project", "since", "until", "direction", "kind", "exclude")


class Filters:
    """(A plain class rather than a dataclass: importing dataclasses costs every
    `cs search` about 5 ms, for inspect.)"""

    __slots__ = FIELDS

    def __init__(
        self, session=None, cwd=None, project=None, since=None, until=None, direction=None, kind=None, exclude=()
    ):
        self.session = session  # session id prefix
        self.cwd = cwd  # sessions started in this directory or below
        self.project = project  # the git top level's name (or the directory's)
        self.since = since  # inclusive
        self.until = until  # exclusive
        self.direction = direction  # "input" | "output" | "transcript" (search only: --source)
        self.kind = kind  # transcript lines: "prompt" | "reply" | "tool" | "result" (search only)
        self.exclude = tuple(exclude)  # full session ids left out (cs mcp: the session asking)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in FIELDS)

    def __repr__(self):
        return "Filters(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in FIELDS) + ")"

    def session_where(self, id_column: str, cwd_column: str, project_column: str):
        """(where clauses, parameters) for the session-level filters, on the
        given columns; the caller adds what time and direction mean for it."""
        where, params = [], []
        if self.session:
            _add(where, params, id_prefix_clause(id_column, self.session))
        if self.cwd:
            _add(where, params, cwd_clause(cwd_column, self.cwd))
        if self.project:
            _add(where, params, (f"{project_column} = ?", [self.project]))
        if self.exclude:
            _add(where, params, (f"{id_column} NOT IN ({', '.join('?' * len(self.exclude))})", list(self.exclude)))
        return where, params

    def time_where(self, where: list, params: list, since_column: str, until_column: str) -> None:
        """Add `since_column >= since` and `until_column < until` (what each
        means depends on the question: a line's time, a session's span)."""
        if self.since:
            _add(where, params, (f"{since_column} >= ?", [self.since]))
        if self.until:
            _add(where, params, (f"{until_column} < ?", [self.until]))


def id_prefix_clause(column: str, prefix: str):
    """SQL and parameters: `column` (a session id) starts with `prefix`.
    A plain string comparison: nothing the user types is a wildcard."""
    prefix = prefix.lower()
    return f"substr({column}, 1, ?) = ?", [len(prefix), prefix]


def cwd_clause(column: str, cwd: str):
    """SQL and parameters: `column` (a directory) is `cwd` or below it."""
    cwd = cwd.rstrip("/") or "/"
    below = cwd.rstrip("/") + "/"
    return f"({column} = ? OR substr({column}, 1, ?) = ?)", [cwd, len(below), below]


def _add(where: list, params: list, clause) -> None:
    sql, values = clause
    where.append(sql)
    params.extend(values)

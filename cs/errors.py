"""One family of user-facing errors, turned into a message and an exit status in one place.

Domain code raises a `CsError` subclass whose message says what is wrong and,
where there is one, what to do next; `cs.main.run_cli` prints it as one line on
stderr, prefixed `cs: `, and exits with the class's status. Nothing else in cs
prints an error or picks an exit status (tests/test_cli_errors.py).

| class            | exit | when                                                        |
|------------------|------|-------------------------------------------------------------|
| CsError          | 1    | the operation could not be done (the message says why)      |
| UsageError       | 2    | the command line asks for something impossible or ambiguous |
| ConfigError      | 1    | config.toml, or a value for it, that the user must fix      |
| NotFound         | 1    | no such session (or nothing at that position)               |
| NoMatches        | 1    | a search or grep found nothing (stdout stays empty)         |

Also mapped in `cs.main`: OSError (the file system said no) and sqlite3.Error
(the index), to status 1 with advice; a closed stdout, to status 1 (quietly:
the reader went away); Ctrl-C, to 130.

May import: nothing of cs. Every room may import it.
"""

PREFIX = "cs: "


class CsError(Exception):
    """A problem the user can act on; `str()` is the whole message."""

    exit_code = 1


class UsageError(CsError):
    """Arguments that cannot work together, or a value out of range."""

    exit_code = 2


class ConfigError(CsError, ValueError):
    """A config file or value the user must fix; the message says where and how."""


class NotFound(CsError, LookupError):
    """No session (or no moment) matches what was asked for."""


class NoMatches(CsError):
    """A question with no answer: exit 1, stdout left empty (docs/usage.md)."""


def message(error: BaseException) -> str:
    """The one line the user reads for `error` (prefix included)."""
    return f"{PREFIX}{error}"

"""Entry point.

`cs record` runs on every `claude` start through the shell function, so it is
dispatched here before click (or sqlite, or watchdog) is imported: start-up of
the recorder costs only what the recorder itself needs. `cs init <shell>` runs
on every shell start and is dispatched the same way.

Every other command goes through `run_cli`, the one place where errors become
a message and an exit status (the table is in cs/errors.py).
"""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "record":
        from cs.record.command import main as record_main

        return record_main(argv[1:])
    if len(argv) == 2 and argv[0] == "init":
        # `eval "$(cs init bash)"` runs on every shell start: print the script
        # without importing click (about a third of the start-up time). Help,
        # errors and service files go through the click command as usual.
        from cs.shell_init import SCRIPTS, init_script, own_command

        if argv[1] in SCRIPTS:
            sys.stdout.write(init_script(argv[1], own_command()))
            return 0
    return run_cli(argv)


def run_cli(argv) -> int:
    """Run a click command; map what it raises to one line on stderr and a status.
    The common forms of `cs search`, `cs list` and `cs show` run without
    importing click (cs.cli.quick), through the same code and the same mapping."""
    from cs import errors

    bad = _not_utf8(argv)
    if bad is not None:
        return _fail(f"argument {bad!r} is not valid UTF-8 (the index holds text as UTF-8)", 2)
    if _stdout_is_closed():
        # Answers would vanish, and a command that succeeded silently would look
        # like one that found nothing: one behaviour for every command.
        return _fail("standard output is closed: nothing can be written (redirect it to a file or /dev/null)", 1)
    from cs.cli import quick

    try:
        command = quick.parse(argv)
        if command is not None:
            result = command()
        else:
            from cs.cli import cli

            result = cli.main(args=argv, prog_name="cs", standalone_mode=False)
        _flush_stdout()
        return result if isinstance(result, int) else 0
    except quick.Aborted:
        return _fail("aborted", 130)
    except errors.CsError as e:
        return _fail(str(e), e.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return _stdout_closed()
    except OSError as e:
        # The file system said no (a full disk, a permission, a path that is
        # not what it should be): that is for the user to read, not a traceback.
        if e.errno == 32 or (e.errno == 9 and _stdout_is_closed()):  # EPIPE, EBADF on stdout
            return _stdout_closed()
        return _fail(str(e), 1)
    except Exception as e:
        click = sys.modules.get("click")
        if click is not None and isinstance(e, (click.exceptions.Exit, click.exceptions.Abort, click.ClickException)):
            return _click_error(e)
        import sqlite3

        if isinstance(e, sqlite3.Error):
            return _fail(f"index database error: {e} (`cs index --rebuild` recreates it from the logs)", 1)
        return _internal_error(e)


def _click_error(e) -> int:
    import click

    if isinstance(e, click.exceptions.Exit):
        _flush_stdout()
        return e.exit_code
    if isinstance(e, click.exceptions.Abort):
        return _fail("aborted", 130)
    if isinstance(e, click.UsageError) and e.ctx is not None:  # bad arguments: click's own usage line, then ours
        _write_err(
            e.ctx.get_usage()
            + "\n"
            + (f"Try '{e.ctx.command_path} --help' for help.\n" if e.ctx.command.get_help_option(e.ctx) else "")
        )
    return _fail(e.format_message(), e.exit_code)


def _internal_error(error: Exception) -> int:
    """A bug of ours: one line, and the traceback only when asked (CS_DEBUG=1)."""
    import os

    if os.environ.get("CS_DEBUG"):
        import traceback

        traceback.print_exc()
    return _fail(f"internal error: {type(error).__name__}: {error} (CS_DEBUG=1 shows where; please report it)", 1)


def _not_utf8(argv):
    """The first argument (as bytes) that is not valid UTF-8, else None. Python
    hands such bytes over as lone surrogates, which SQLite and the terminal
    cannot take (tests/test_hardening_values.py::test_non_utf8_arguments)."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape")
    return None


def _flush_stdout() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def _stdout_is_closed() -> bool:
    import os

    try:
        os.fstat(1)
    except OSError:
        return True
    return False


def _stdout_closed() -> int:
    """Whoever read our output went away (`cs list | head -1`) or never was
    (`>&-`): nothing more can be written there. Status 1, and no traceback
    when Python flushes stdout at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    return 1


def _write_err(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # stderr closed: the exit status is all we can say


def _fail(message: str, status: int) -> int:
    from cs.errors import PREFIX

    _write_err(f"{PREFIX}{message}\n")
    return status

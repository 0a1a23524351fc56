"""Entry point.

`cs record` runs on every `claude` start through the shell function, so it is
dispatched here before click (or sqlite, or watchdog) is imported: start-up of
the recorder costs only what the recorder itself needs.
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
        from cs.shell_init import SCRIPTS, init_script

        if argv[1] in SCRIPTS:
            sys.stdout.write(init_script(argv[1]))
            return 0
    from cs.cli import cli

    try:
        return cli.main(args=argv, prog_name="cs")
    except OSError as e:
        # The file system said no (a full disk, a permission, a path that is
        # not what it should be): that is for the user to read, not a traceback.
        sys.stderr.write(f"cs: {e}\n")
        return 1
    except Exception as e:
        import sqlite3

        if not isinstance(e, sqlite3.Error):
            raise
        sys.stderr.write(f"cs: index database error: {e} (`cs index --rebuild` recreates it from the logs)\n")
        return 1

"""Entry point.

`cs record` runs on every `claude` start through the shell function, so it is
dispatched here before click (or sqlite, or watchdog) is imported: start-up of
the recorder costs only what the recorder itself needs.
"""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "record":
        from cs.record_cmd import main as record_main

        return record_main(argv[1:])
    from cs.cli import cli

    return cli.main(args=argv, prog_name="cs")

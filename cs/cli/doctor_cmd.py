"""`cs doctor`: one line per check (cs.doctor), ok or a problem with what to do."""

import sys

import click

from cs.cli import cli


@cli.command("doctor")
def doctor_cmd():
    """Say whether recording will work on this machine, and what to fix.

    Exits 1 when a problem stops `claude` from being recorded."""
    from cs import doctor

    findings = doctor.diagnose()
    width = max(len(f.name) for f in findings)
    for f in findings:
        line = f"{'ok' if f.ok else 'problem':<8}{f.name:<{width}}  {f.message}"
        click.echo(line if f.ok else click.style(line, fg="red"))
    if any(f.breaks_recording and not f.ok for f in findings):
        sys.exit(1)

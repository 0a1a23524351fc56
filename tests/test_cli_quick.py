"""The quick path (cs.cli.quick): the common forms of `cs search`, `cs list` and
`cs show` run without click, and answer exactly as the click commands do."""

import subprocess
import sys

import pytest

from cs import main as cs_main
from cs.cli import output, quick
from tests.helpers.logs import LogWriter


@pytest.fixture(autouse=True)
def numpy_importable_after():
    """Commands run in this process keep numpy out (cs.cli.common.skip_numpy):
    let it back in for the tests that follow (hypothesis imports it)."""
    had = "numpy" in sys.modules
    yield
    if not had and sys.modules.get("numpy", ...) is None:
        del sys.modules["numpy"]


@pytest.fixture
def sessions(logs):
    a = LogWriter(logs).output("something findable here\r\nand a \x1b[1mbold\x1b[0m word\r\n").end()
    b = LogWriter(logs).input("typed findable\r").output("two words apart\r\n").end(exit_code=3)
    live = LogWriter(logs).output("findable while live\r\n")
    from cs.index import indexer

    db = indexer.open_index()
    indexer.index_pass(db, logs)
    return a, b, live


def run(argv, capsys, monkeypatch, quick_path: bool):
    with monkeypatch.context() as m:
        if not quick_path:
            m.setattr(quick, "parse", lambda argv: None)  # what the click command does with the same argv
        code = cs_main.run_cli(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


QUICK_FORMS = [
    ["search", "findable"],
    ["search", "two", "words"],
    ["search", '"two words"'],
    ["search", "-n", "1", "findable"],
    ["search", "findable", "--limit", "2"],
    ["search", "--limit=1", "--jsonl", "findable"],
    ["search", "--json", "findable"],
    ["search", "--json", "--jsonl", "findable"],
    ["search", "nothing-matches-this"],
    ["search", "ab"],
    ["search", ""],
    ["search", "bold"],
    ["search", "--team", "findable"],  # (no team database here: the same message either way)
    ["list"],
    ["list", "--team", "-n", "1"],
    ["list", "-n", "1"],
    ["list", "--json"],
    ["list", "--jsonl", "--limit", "2"],
    ["show", "{a}"],
    ["show", "{b}"],
    ["show", "0000"],
]


@pytest.mark.parametrize("form", QUICK_FORMS, ids=" ".join)
def test_quick_forms_answer_as_click_does(form, sessions, capsys, monkeypatch):
    a, b, _live = sessions
    argv = [x.format(a=a.sid[:8], b=b.sid[:8]) for x in form]
    assert quick.parse(argv) is not None
    fast = run(argv, capsys, monkeypatch, quick_path=True)
    slow = run(argv, capsys, monkeypatch, quick_path=False)
    assert fast == slow
    assert "click" not in (fast[2] or "")


@pytest.mark.parametrize(
    "argv",
    [
        ["search"],
        ["search", "--fts", "x"],
        ["search", "-n", "0", "x"],
        ["search", "-n", "x", "y"],
        ["search", "-n1", "x"],
        ["search", "-n", "1", "-n", "2", "x"],
        ["search", "-n", "\u0661", "x"],  # a digit, not an ASCII one: click's int() would take it
        ["search", "-n", "1000001", "x"],
        ["search", "--", "-x"],
        ["search", "-", "x"],
        ["search", "-h"],
        ["search", "--lim", "2", "x"],
        ["search", "--team", "--team", "x"],
        ["search", "--team", "--fts", "x"],
        ["list", "extra"],
        ["list", "--limit"],
        ["list", "--project", "p"],
        ["show"],
        ["show", "a", "b"],
        ["show", "--raw", "x"],
        ["show", "-x"],
        ["stats"],
        [],
    ],
    ids=lambda a: " ".join(a) or "(none)",
)
def test_other_forms_go_to_click(argv):
    assert quick.parse(argv) is None


def test_completion_goes_to_click(monkeypatch):
    monkeypatch.setenv("_CS_COMPLETE", "bash_complete")
    assert quick.parse(["search", "x"]) is None


def test_style_and_echo_are_clicks():
    import click

    for kwargs in ({"fg": "cyan"}, {"dim": True}, {"fg": "red", "bold": True}, {"bold": False}, {"fg": "bright_black"}):
        assert output.style("text", **kwargs) == click.style("text", **kwargs), kwargs


def test_echo_strips_escapes_off_a_terminal_as_click_does(capsys):
    import click

    text = "a \x1b[31mred\x1b[0m word \x1b[?25l and \x1b]0;title\x07 rest"
    output.echo(text)
    output.echo(text, err=True)
    output.echo("no newline", nl=False)
    ours = capsys.readouterr()
    click.echo(text)
    click.echo(text, err=True)
    click.echo("no newline", nl=False)
    theirs = capsys.readouterr()
    assert (ours.out, ours.err) == (theirs.out, theirs.err)


def test_search_list_show_do_not_import_click(sessions):
    """The common forms in a fresh process: no click, no sqlite-utils, no
    watchdog, no dataclasses (inspect), no shutil."""
    a, _b, _live = sessions
    forms = (["search", "findable"], ["list"], ["show", a.sid[:8]], ["search", "-n", "3", "--jsonl", "x"])
    for argv in (*forms, ["search", "--team", "x"]):  # (no team database: cs says so, without click)
        probe = (
            "import sys\n"
            "from cs.main import main\n"
            f"code = main({argv!r})\n"
            "sys.stdout.flush()\n"
            "print('\\nMODULES', code, ' '.join(sorted(sys.modules)))\n"
        )
        out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
        code, modules = out.rsplit("\nMODULES ", 1)[1].split(" ", 1)
        assert code in ("0", "1"), argv
        loaded = set(modules.split())
        heavy = {"click", "sqlite_utils", "watchdog", "shutil"}
        if argv[0] != "show":  # (show renders the log: cs.index.render has dataclasses)
            heavy |= {"dataclasses", "inspect", "cs.index.render"}
        if "--team" in argv:  # (psycopg brings dataclasses, inspect and shutil itself: only click is ours to skip)
            heavy = {"click", "sqlite_utils", "watchdog"}
        assert loaded & heavy == set(), (argv, loaded & heavy)

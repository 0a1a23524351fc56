"""What the user sees when things are not as they should be: a clear message,
a non-zero exit, never a traceback; and an index that cannot be read is rebuilt
from the logs (it is derived data), not a dead end."""

import json
import subprocess
import sys


def cs(cs_exe, *args):
    proc = subprocess.run([cs_exe, *args], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def record_phrase(cs_exe, phrase):
    code = f"print({phrase!r})"
    subprocess.run([cs_exe, "record", "--", sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


def test_a_corrupt_index_is_rebuilt_from_the_logs(cs_exe, cs_home):
    record_phrase(cs_exe, "the quokka ate the manual")
    before = cs(cs_exe, "search", "--jsonl", "quokka ate")
    assert before.returncode == 0 and len(before.stdout.splitlines()) == 1
    (cs_home / "index.db").write_bytes(b"this is not a database, it is a sandwich" * 200)
    for suffix in ("-wal", "-shm"):
        (cs_home / f"index.db{suffix}").unlink(missing_ok=True)
    after = cs(cs_exe, "search", "--jsonl", "quokka ate")
    assert after.returncode == 0
    assert "rebuilding it from the logs" in after.stderr
    assert [json.loads(l)["text"] for l in after.stdout.splitlines()] == [
        json.loads(l)["text"] for l in before.stdout.splitlines()
    ]
    # Rebuilt once: the next question is answered quietly.
    again = cs(cs_exe, "list", "--jsonl")
    assert again.returncode == 0 and again.stderr == "" and len(again.stdout.splitlines()) == 1


def test_a_cs_home_that_is_not_a_directory_is_a_clear_error(cs_exe, cs_home, tmp_path, monkeypatch):
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("CS_HOME", str(not_a_dir))
    for args in (["list"], ["search", "x"], ["prune", "--older", "1d"], ["index"]):
        proc = cs(cs_exe, *args)
        assert proc.returncode != 0, args
        assert str(not_a_dir) in proc.stderr, (args, proc.stderr)


def test_a_closed_stdout_is_one_behaviour_for_every_command(cs_exe, cs_home):
    """Exit 1 and one line on stderr, whatever the command: an answer that
    cannot be written must not look like a success or like "nothing found"."""
    import os

    record_phrase(cs_exe, "closed stdout corpus")
    for args in (
        ["list"],
        ["search", "corpus"],
        ["search", "nothing-like-this"],
        ["stats"],
        ["config"],
        ["show", "0"],
        ["index", "-q"],
    ):
        proc = subprocess.run(
            [cs_exe, *args], stderr=subprocess.PIPE, text=True, timeout=60, preexec_fn=lambda: os.close(1)
        )
        assert proc.returncode == 1, (args, proc.stderr)
        assert proc.stderr.splitlines() == [
            "cs: standard output is closed: nothing can be written (redirect it to a file or /dev/null)"
        ], args


def test_every_command_is_in_the_lazy_table():
    """cs.cli imports a command's module when the command runs: the table
    must name every command's module."""
    import cs.cli as cli_pkg

    cli_pkg.load_all()
    assert set(cli_pkg.cli.commands) == set(cli_pkg.COMMANDS)
    for name, module in cli_pkg.COMMANDS.items():
        assert cli_pkg.cli.commands[name].callback.__module__ == f"cs.cli.{module}", name


def test_search_imports_only_what_it_uses(cs_home, logs):
    """`cs search` with nothing new to index: no other command's module, no
    renderer, no transcript indexer (python -X importtime -m cs search x)."""
    from tests.helpers.logs import LogWriter

    LogWriter(logs).output("something findable\r\n").end()
    subprocess.run([sys.executable, "-m", "cs", "index", "-q"], check=True, capture_output=True)
    probe = (
        "import sys\n"
        "from cs.main import main\n"
        "code = main(['search', 'findable'])\n"
        "print(code, ' '.join(sorted(m for m in sys.modules if m.startswith('cs.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    code, modules = out.strip().splitlines()[-1].split(" ", 1)
    assert code == "0"
    loaded = set(modules.split())
    assert "cs.cli.answers" in loaded and "cs.index.indexer" in loaded
    # (cs.cli.ask, the click commands, neither: the quick path runs `cs search WORDS`, tests/test_cli_quick.py)
    unused = {"cs.cli.ask", "cs.cli.group"}
    unused |= {"cs.cli.playback", "cs.cli.web_cmd", "cs.cli.maintenance", "cs.index.render", "cs.index.screen"}
    unused |= {"cs.claude.index", "cs.playback", "cs.web"}
    assert loaded & unused == set()

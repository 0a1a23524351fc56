"""The recorder's log writer and start-line metadata, on real files and real git repositories."""

import json
import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs.log import jsonl, store
from cs.record.sink import LogWriter
from cs.record.start import git_info, new_session_id
from tests.helpers.pty import raw_lines

SID = "0b6a2c34-8f51-4a5e-9c1d-2e3f4a5b6c7d"


def test_planted_symlink_at_the_log_file_is_refused(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (logs / f"{SID}.jsonl").symlink_to(victim)
    writer = LogWriter.open(logs, SID, 1 << 20, {"argv": ["x"]})
    writer.output(b"secret output")
    writer.close(0)
    assert victim.read_text() == "precious\n"
    assert writer.warning().startswith("cs: recording stopped: refusing to follow a symlink")
    assert str(logs / f"{SID}.jsonl") in writer.warning()


def test_foreign_regular_file_at_the_path_is_not_reused(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    planted = logs / f"{SID}.jsonl"
    planted.write_text("planted\n")
    writer = LogWriter.open(logs, SID, 1 << 20, {})
    writer.output(b"data")
    writer.close(0)
    assert planted.read_text() == "planted\n"
    assert "already exists" in writer.warning()


def test_symlink_planted_at_a_later_segment_stops_logging_once(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (logs / store.segment_name(SID, 2)).symlink_to(victim)
    writer = LogWriter.open(logs, SID, 300, {})
    for _ in range(10):
        writer.output(b"x" * 200)
    writer.close(0)
    assert victim.read_text() == "precious\n"
    assert writer.warning().count("recording stopped") == 1 and "symlink" in writer.warning()
    assert store.segment_name(SID, 2) in writer.warning()
    assert writer.bytes_out == 2000  # still counted: the session went on


def test_lines_are_written_at_once_and_end_carries_counts(tmp_path):
    logs = tmp_path / "logs"
    writer = LogWriter.open(logs, SID, 1 << 20, {"argv": ["claude"]})
    writer.input(b"hi\r")
    path = logs / f"{SID}.jsonl"
    # No user-space buffer: the line is in the file before close.
    assert [r.get("direction") for r in raw_lines(path)] == [None, "input"]
    writer.input(b"pw\r", masked=True)
    writer.output(b"\x1b[1mclaude --resume 123E4567-E89B-12D3-A456-426614174000\x1b[0m")
    writer.resize(100, 40)
    writer.close(3, duration=1.5)
    lines = raw_lines(path)
    assert [r.get("type") for r in lines] == ["start", None, None, None, "resize", "end"]
    assert lines[2] == {**lines[2], "data": "", "size": 0, "masked": 3}
    end = lines[-1]
    assert end["exit_code"] == 3 and end["bytes_in"] == 6 and end["duration"] == 1.5
    assert end["bytes_out"] == len(b"\x1b[1mclaude --resume 123E4567-E89B-12D3-A456-426614174000\x1b[0m")
    assert end["claude_session_id"] == "123e4567-e89b-12d3-a456-426614174000"
    assert writer.warning() is None


def test_resume_id_found_across_many_small_chunks(tmp_path):
    # The hint split into 3-byte writes, coloured and with cursor moves for
    # spaces, after more output than the kept tail: found in the end line.
    text = (
        b"noise " * 5000 + b"claude\x1b[1C--resume\x1b[1C\x1b[38;5;2m9f0e8d7c-6b5a-4f3e-2d1c-0b9a8f7e6d5c\x1b[39m\r\n"
    )
    logs = tmp_path / "logs"
    writer = LogWriter.open(logs, SID, 1 << 30, {"argv": ["claude"]})
    for i in range(0, len(text), 3):
        writer.output(text[i : i + 3])
    writer.close(0)
    assert raw_lines(logs / f"{SID}.jsonl")[-1]["claude_session_id"] == "9f0e8d7c-6b5a-4f3e-2d1c-0b9a8f7e6d5c"


def test_new_session_id_is_a_version_4_uuid():
    import uuid

    ids = {new_session_id() for _ in range(100)}
    assert len(ids) == 100
    for sid in ids:
        u = uuid.UUID(sid)
        assert u.version == 4 and str(u) == sid
        assert store.parse_segment_name(store.segment_name(sid))[0] == sid


# ---------------------------------------------------------------- git, read from files


def git(*args, cwd):
    env = dict(
        os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"
    )
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    git("commit", "-q", "--allow-empty", "-m", "one", cwd=path)
    return path


def test_git_branch_and_commit_from_a_subdirectory(repo):
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    info = git_info(str(sub))
    assert info["git_branch"] == "main"
    assert info["git_commit"] == git("rev-parse", "HEAD", cwd=repo)
    assert info["git_root"] == str(repo)


def test_git_packed_refs(repo):
    git("pack-refs", "--all", "--prune", cwd=repo)
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert git_info(str(repo))["git_commit"] == git("rev-parse", "HEAD", cwd=repo)


def test_git_worktree_with_a_dot_git_file(repo, tmp_path):
    wt = tmp_path / "wt"
    git("worktree", "add", "-q", "-b", "topic", str(wt), cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", "two", cwd=wt)
    assert (wt / ".git").is_file()
    info = git_info(str(wt))
    assert info["git_branch"] == "topic"
    assert info["git_commit"] == git("rev-parse", "HEAD", cwd=wt)
    assert info["git_root"] == str(wt)


def test_git_detached_head_and_unborn_branch(repo, tmp_path):
    head = git("rev-parse", "HEAD", cwd=repo)
    git("checkout", "-q", "--detach", cwd=repo)
    info = git_info(str(repo))
    assert info["git_commit"] == head and "git_branch" not in info

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git("init", "-q", "-b", "trunk", cwd=fresh)
    info = git_info(str(fresh))
    assert info["git_branch"] == "trunk" and "git_commit" not in info


def test_no_repository(tmp_path):
    assert git_info(str(tmp_path)) is None


def test_live_lock_stays_held_after_logging_stopped_until_close(tmp_path):
    import fcntl

    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    (logs / store.segment_name(SID, 2)).symlink_to(tmp_path / "elsewhere")
    writer = LogWriter.open(logs, SID, 300, {})
    for _ in range(5):
        writer.output(b"y" * 200)
    assert writer.failure  # logging stopped at the rotation
    with open(logs / f"{SID}.jsonl", "rb") as f:
        with pytest.raises(BlockingIOError):  # the session is still live
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        writer.close(0)
        fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
    types = [r.get("type") for r in raw_lines(logs / f"{SID}.jsonl")]
    assert types[0] == "start" and "end" not in types  # reads as cut off


# ---------------------------------------------------------------- event lines without json

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(_json_values)
def test_compact_json_is_json_dumps(value):
    # The recorder writes its event lines without importing json (its start-up);
    # they must be exactly what json.dumps writes, so readers see no difference.
    assert jsonl.compact_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)

"""Encryption at rest (issue 13): compressed sessions written as age files
(.jsonl.gz.age, 0600, the plain files gone), read by Debian's `age` and by
every cs reader with the identity; without it, a clear message and the other
sessions go on; `index_encrypted = off`. Real logs, the real `cs` script."""

import base64
import gzip
import json
import os
import shutil
import stat
import subprocess

import pytest

from cs.log import paths
from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter, ago
from tests.helpers.tools import missing_tool

pytest.importorskip("pyrage", reason="the crypto extra (pip install 'cs-sessions[crypto]')")


def _session(logs, word, days=3, rotate=False):
    w = LogWriter(logs, t0=ago(days))
    w.output(f"first screen {word}alpha\r\n", dt=0.1)
    if rotate:
        w.rotate()
    w.output(f"second screen {word}omega\r\n", dt=0.1)
    w.end()
    return w


def _db_bytes() -> bytes:
    return b"".join(
        p.read_bytes()
        for p in (paths.db_path(), paths.db_path().with_name(paths.db_path().name + "-wal"))
        if p.exists()
    )


def test_compress_encrypts_and_age_reads_what_cs_wrote(logs, keypair):
    key, public = keypair
    w = _session(logs, "zebra", rotate=True)
    originals = {p.name: p.read_bytes() for p in logs.iterdir()}
    run_cs(None, "index", "-q")
    run_cs(None, "config", "encrypt_recipients", public)
    run_cs(None, "config", "identity_file", str(key))
    out = json.loads(run_cs(None, "compress", "--older", "1d", "--json").stdout)
    assert out["encrypted"] and out["files"] == 2 and not out["errors"]
    names = sorted(p.name for p in logs.iterdir())
    assert names == sorted(n + ".gz.age" for n in originals)
    for name, data in originals.items():
        sealed = logs / (name + ".gz.age")
        assert stat.S_IMODE(sealed.stat().st_mode) == 0o600
        assert b"zebra" not in sealed.read_bytes()
        age = subprocess.run(["age", "-d", "-i", str(key), str(sealed)], check=True, capture_output=True).stdout
        assert gzip.decompress(age) == data  # age -d -i KEY FILE | zcat
        first = json.loads(gzip.decompress(age).splitlines()[0])
        assert first["session_id"] == w.sid
    # Every reader, with the identity.
    assert "zebraomega" in run_cs(None, "show", w.sid).stdout
    assert "zebraalpha" in run_cs(None, "export", "--format", "text", w.sid).stdout
    assert "zebraalpha" in run_cs(None, "replay", "--no-wait", w.sid).stdout
    assert "zebraomega" in run_cs(None, "tail", "--text", w.sid).stdout
    run_cs(None, "index", "--rebuild", "-q")
    assert w.sid[:8] in run_cs(None, "search", "zebraomega").stdout


def test_what_age_wrote_cs_reads(logs, keypair):
    key, public = keypair
    w = _session(logs, "okapi")
    plain = logs / f"{w.sid}.jsonl"
    gz = logs / f"{w.sid}.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    subprocess.run(["age", "-r", public, "-o", str(logs / f"{w.sid}.jsonl.gz.age"), str(gz)], check=True)
    plain.unlink()
    gz.unlink()
    run_cs(None, "config", "identity_file", str(key))
    assert "okapialpha" in run_cs(None, "show", w.sid).stdout
    assert w.sid[:8] in run_cs(None, "search", "okapiomega").stdout


def test_without_the_identity_readers_say_so_and_go_on(logs, keypair, tmp_path):
    key, public = keypair
    secret_one = _session(logs, "lynx")
    other = _session(logs, "heron", days=0.0001)
    run_cs(None, "index", "-q")
    run_cs(None, "config", "encrypt_recipients", public)
    run_cs(None, "compress", "--older", "1d")
    assert (logs / f"{secret_one.sid}.jsonl.gz.age").exists() and (logs / f"{other.sid}.jsonl").exists()
    # No identity_file: the index keeps what it holds.
    assert secret_one.sid[:8] in run_cs(None, "search", "lynxalpha").stdout
    proc = run_cs(None, "show", secret_one.sid, check=False)
    assert proc.returncode == 1 and "encrypted" in proc.stderr and "identity_file" in proc.stderr
    # A rebuild cannot read it: it says so, once, and indexes the others.
    run_cs(None, "index", "--rebuild", "-q", check=False)
    proc = run_cs(None, "search", "heronomega")
    assert other.sid[:8] in proc.stdout
    proc = run_cs(None, "list")
    assert other.sid[:8] in proc.stdout
    assert proc.stderr.count("identity_file is not set") == 1, proc.stderr
    # The wrong identity: said as clearly.
    wrong = tmp_path / "wrong.txt"
    subprocess.run(["age-keygen", "-o", str(wrong)], check=True, capture_output=True)
    run_cs(None, "config", "identity_file", str(wrong))
    proc = run_cs(None, "show", secret_one.sid, check=False)
    assert proc.returncode == 1 and "cannot decrypt" in proc.stderr
    # The right one: everything is back.
    run_cs(None, "config", "identity_file", str(key))
    assert secret_one.sid[:8] in run_cs(None, "search", "lynxomega").stdout


def test_index_encrypted_off_removes_their_lines(logs, keypair):
    key, public = keypair
    w = _session(logs, "marmot")
    keep = _session(logs, "badger", days=0.0001)
    run_cs(None, "index", "-q")
    run_cs(None, "config", "encrypt_recipients", public)
    run_cs(None, "config", "identity_file", str(key))
    run_cs(None, "compress", "--older", "1d")
    assert w.sid[:8] in run_cs(None, "search", "marmotalpha").stdout
    run_cs(None, "config", "index_encrypted", "off")
    assert run_cs(None, "search", "marmotalpha", check=False).returncode == 1
    assert keep.sid[:8] in run_cs(None, "search", "badgeralpha").stdout
    run_cs(None, "index", "-q")
    assert b"marmotalpha" not in _db_bytes()
    assert w.sid[:8] in run_cs(None, "list").stdout  # still listed
    assert "marmotomega" in run_cs(None, "show", w.sid).stdout  # read from the log, with the identity


def test_setting_recipients_and_identity_is_validated(cs_home, tmp_path):
    proc = run_cs(None, "config", "encrypt_recipients", "age1notakey", check=False)
    assert proc.returncode == 2 and "not an age or SSH recipient" in proc.stderr
    proc = run_cs(None, "config", "identity_file", str(tmp_path / "missing"), check=False)
    assert proc.returncode == 2 and "identity_file" in proc.stderr
    assert not paths.config_path().exists() or "identity_file" not in paths.config_path().read_text()


def test_scrub_rewrites_an_encrypted_log_encrypted(logs, keypair):
    key, public = keypair
    w = _session(logs, "ferret")
    run_cs(None, "config", "encrypt_recipients", public)
    run_cs(None, "config", "identity_file", str(key))
    run_cs(None, "compress", "--older", "1d")
    sealed = logs / f"{w.sid}.jsonl.gz.age"
    run_cs(None, "scrub", "ferretalpha")
    data = gzip.decompress(
        subprocess.run(["age", "-d", "-i", str(key), str(sealed)], check=True, capture_output=True).stdout
    )
    streams = b"".join(base64.b64decode(json.loads(x).get("data", "")) for x in data.splitlines())
    assert b"ferretomega" in streams and b"ferretalpha" not in streams and b"*" * 11 in streams
    assert "ferretalpha" not in run_cs(None, "show", w.sid).stdout
    assert "ferretomega" in run_cs(None, "show", w.sid).stdout
    assert stat.S_IMODE(os.stat(sealed).st_mode) == 0o600


def test_the_archived_transcript_is_encrypted_too_and_read_with_the_identity(
    cs_home, logs, keypair, tmp_path, monkeypatch
):
    from tests.helpers.transcripts import CLAUDE_ID, assistant, claude_recording, user

    key, public = keypair
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    w = claude_recording(
        logs,
        config,
        "● the narwhal answer\r\n",
        user("tell me about the narwhal") + assistant([{"type": "text", "text": "The narwhal has one tusk."}]),
    )
    run_cs(None, "index", "-q")
    archived = cs_home / "claude" / f"{CLAUDE_ID}.jsonl"
    plain = archived.read_bytes()
    run_cs(None, "config", "encrypt_recipients", public)
    run_cs(None, "compress", "--older", "0s")
    sealed = cs_home / "claude" / f"{CLAUDE_ID}.jsonl.gz.age"
    assert not archived.exists() and stat.S_IMODE(sealed.stat().st_mode) == 0o600
    age = subprocess.run(["age", "-d", "-i", str(key), str(sealed)], check=True, capture_output=True).stdout
    assert gzip.decompress(age) == plain
    # Without the identity: said, and the index still answers.
    proc = run_cs(None, "show", "--conversation", w.sid, check=False)
    assert proc.returncode == 1 and "identity_file" in proc.stderr
    assert w.sid[:8] in run_cs(None, "search", "one tusk").stdout
    run_cs(None, "config", "identity_file", str(key))
    assert "The narwhal has one tusk." in run_cs(None, "show", "--conversation", w.sid).stdout
    run_cs(None, "index", "--rebuild", "-q")
    assert w.sid[:8] in run_cs(None, "search", "one tusk").stdout


def test_gzipped_sessions_are_encrypted_later_and_a_killed_run_is_finished(logs, keypair):
    key, public = keypair
    old = _session(logs, "walrus", rotate=True)
    old.compress([1, 2])  # compressed before encryption was set
    cut = _session(logs, "puffin")
    plain = logs / f"{cut.sid}.jsonl"
    original = plain.read_bytes()
    # A run killed after its rename, before the unlink: a .gz.age beside the
    # plain file (here, not even a complete one), and a stray temp file.
    (logs / f"{cut.sid}.jsonl.gz.age").write_bytes(b"age-encryption.org/v1\n-> truncated")
    (logs / f".{cut.sid}.jsonl.gz.age.tmp").write_bytes(b"partial")
    run_cs(None, "index", "-q")
    assert "puffinalpha" in run_cs(None, "show", cut.sid).stdout  # the plain file is read
    run_cs(None, "config", "encrypt_recipients", public)
    out = json.loads(run_cs(None, "compress", "--older", "1d", "--json").stdout)
    assert out["files"] == 3 and not out["errors"] and out["temps_removed"] == 1
    assert sorted(p.name for p in logs.iterdir()) == sorted(
        [f"{old.sid}.jsonl.gz.age", f"{old.sid}.002.jsonl.gz.age", f"{cut.sid}.jsonl.gz.age"]
    )
    age = subprocess.run(
        ["age", "-d", "-i", str(key), str(logs / f"{cut.sid}.jsonl.gz.age")], check=True, capture_output=True
    ).stdout
    assert gzip.decompress(age) == original
    # Indexed before: still found without the identity (rows renamed, nothing to read).
    assert old.sid[:8] in run_cs(None, "search", "walrusomega").stdout
    proc = run_cs(None, "search", "puffinomega")
    assert cut.sid[:8] in proc.stdout and "encrypted" not in proc.stderr


def test_an_ssh_key_as_recipient_and_identity(logs, tmp_path):
    if not shutil.which("ssh-keygen") or not shutil.which("age"):
        missing_tool("ssh-keygen and age")
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = (tmp_path / "id_ed25519.pub").read_text().strip()
    w = _session(logs, "ibis")
    original = (logs / f"{w.sid}.jsonl").read_bytes()
    run_cs(None, "config", "encrypt_recipients", public)
    run_cs(None, "config", "identity_file", str(key))
    run_cs(None, "compress", "--older", "1d")
    sealed = logs / f"{w.sid}.jsonl.gz.age"
    age = subprocess.run(["age", "-d", "-i", str(key), str(sealed)], check=True, capture_output=True).stdout
    assert gzip.decompress(age) == original
    assert "ibisomega" in run_cs(None, "show", w.sid).stdout

"""`cs export --format archive` and `cs import`: a round trip to a fresh home
gives the same answers; hostile or damaged archives are refused with a clear
message and write nothing."""

import gzip
import hashlib
import io
import json
import os
import tarfile

import pytest

from tests.helpers.logs import LogWriter
from tests.helpers.playback import run


def make_sessions(logs):
    a = LogWriter(logs, cwd="/home/u/alpha", cols=40, rows=10)
    a.output("alpha builds the rocket E4242\r\n").input("launch it\r").output("launched\r\n")
    a.rotate().output("second segment text\r\n").end(0)
    b = LogWriter(logs, cwd="/home/u/beta")
    b.output("beta waters the garden\r\n").end(2)
    first = logs / f"{b.sid}.jsonl"  # a compressed segment travels as it is
    first.with_name(first.name + ".gz").write_bytes(gzip.compress(first.read_bytes()))
    first.unlink()
    return a.sid, b.sid


def answers(cs_exe, env, sids):
    out = {"list": run(cs_exe, "list", "--json", env=env).stdout}
    for sid in sids:
        out[sid] = run(cs_exe, "show", sid[:8], env=env).stdout
    out["search"] = run(cs_exe, "search", "--json", "rocket", env=env).stdout
    return out


def test_round_trip_to_a_fresh_home(cs_exe, cs_home, logs, tmp_path):
    sids = make_sessions(logs)
    archive = tmp_path / "two.tar.gz"
    run(cs_exe, "export", *[s[:8] for s in sids], "--format", "archive", "-o", str(archive))
    assert archive.stat().st_mode & 0o777 == 0o600
    here = answers(cs_exe, None, sids)
    other = tmp_path / "other-home"
    env = dict(os.environ, CS_HOME=str(other))
    out = run(cs_exe, "import", str(archive), env=env).stdout.decode()
    assert out.count("imported") == 2
    for f in (other / "logs").iterdir():
        assert f.stat().st_mode & 0o777 == 0o600
    assert sorted(f.name for f in (other / "logs").iterdir()) == sorted(f.name for f in logs.iterdir())
    assert answers(cs_exe, env, sids) == here
    again = run(cs_exe, "import", str(archive), env=env).stdout.decode()
    assert again.count("already here") == 2


def test_a_different_session_with_the_same_id_is_refused(cs_exe, logs, tmp_path):
    sids = make_sessions(logs)
    archive = tmp_path / "a.tar.gz"
    run(cs_exe, "export", sids[0][:8], "--format", "archive", "-o", str(archive))
    seg = logs / f"{sids[0]}.002.jsonl"
    seg.write_bytes(seg.read_bytes() + b"\n")
    before = {p.name: p.read_bytes() for p in logs.iterdir()}
    r = run(cs_exe, "import", str(archive), check=False)
    assert r.returncode == 1 and b"already exists here with other content" in r.stderr
    assert {p.name: p.read_bytes() for p in logs.iterdir()} == before


def tar_bytes(members, manifest=None, truncate=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        if manifest is not None:
            raw = json.dumps(manifest).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    data = buf.getvalue()
    return data[:truncate] if truncate else data


SID = "0d8a7c1e-1111-4222-8333-444455556666"
LINE = (
    b'{"type":"start","timestamp":"2026-01-01T00:00:00.000Z","session_id":"%s","format":1,'
    b'"argv":["x"],"cwd":"/tmp","cols":80,"rows":24}\n' % SID.encode()
)


def regular(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def manifest_for(*files):
    return {
        "format": "cs-archive",
        "version": 1,
        "cs_version": "0",
        "sessions": [
            {
                "id": SID,
                "files": [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in files],
            }
        ],
    }


def symlink(name, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


GOOD = f"{SID}.jsonl"
HOSTILE = {
    "traversal": ([regular(f"logs/../../{GOOD}", LINE)], manifest_for((GOOD, LINE)), "escapes"),
    "absolute": ([regular(f"/tmp/{GOOD}", LINE)], manifest_for((GOOD, LINE)), "escapes"),
    "symlink": ([symlink(f"logs/{GOOD}", "/etc/passwd")], manifest_for((GOOD, LINE)), "a link"),
    "hash": ([regular(f"logs/{GOOD}", LINE.replace(b"/tmp", b"/etc"))], manifest_for((GOOD, LINE)), "SHA-256"),
    "unlisted": (
        [regular(f"logs/{GOOD}", LINE), regular(f"logs/{SID}.002.jsonl", LINE)],
        manifest_for((GOOD, LINE)),
        "not in the manifest",
    ),
    "not a log": ([regular("logs/.bashrc", LINE)], manifest_for((GOOD, LINE)), "not a session log"),
    "no manifest": ([regular(f"logs/{GOOD}", LINE)], None, "no manifest"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused_and_write_nothing(cs_exe, cs_home, tmp_path, case):
    members, manifest, why = HOSTILE[case]
    path = tmp_path / "evil.tar.gz"
    path.write_bytes(tar_bytes(members, manifest))
    r = run(cs_exe, "import", str(path), check=False)
    assert r.returncode == 1, r
    assert why.encode() in r.stderr and r.stderr.startswith(b"cs: ")
    logs = cs_home / "logs"
    assert not logs.exists() or not list(logs.iterdir())
    assert not (tmp_path / "etc").exists()


def test_truncated_archive_is_refused(cs_exe, cs_home, logs, tmp_path):
    sids = make_sessions(logs)
    full = tmp_path / "full.tar.gz"
    run(cs_exe, "export", sids[0][:8], "--format", "archive", "-o", str(full))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    other = tmp_path / "other-home"
    r = run(cs_exe, "import", str(cut), check=False, env=dict(os.environ, CS_HOME=str(other)))
    assert r.returncode == 1 and b"truncated or damaged" in r.stderr
    assert not (other / "logs").exists() or not list((other / "logs").iterdir())

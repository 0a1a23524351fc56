"""age both ways: what cs writes, Debian's `age` reads; what `age` writes, cs reads."""

import gzip
import subprocess

import pytest

from cs.errors import ConfigError
from cs.log import crypto

pyrage = pytest.importorskip("pyrage", reason="the crypto extra (pip install 'cs-sessions[crypto]')")


def test_what_cs_encrypts_age_decrypts(tmp_path, keypair):
    key, public = keypair
    data = gzip.compress(b'{"timestamp":"2026-12-01T10:00:00.000Z","direction":"output"}\n' * 100)
    sealed = tmp_path / "x.jsonl.gz.age"
    sealed.write_bytes(crypto.encrypt(data, crypto.parse_recipients(public)))
    out = subprocess.run(["age", "-d", "-i", str(key), str(sealed)], check=True, capture_output=True).stdout
    assert out == data


def test_what_age_encrypts_cs_decrypts(tmp_path, keypair):
    key, public = keypair
    plain = tmp_path / "plain"
    plain.write_bytes(b"hello from age\n")
    subprocess.run(["age", "-r", public, "-o", str(tmp_path / "sealed"), str(plain)], check=True)
    assert crypto.decrypt((tmp_path / "sealed").read_bytes(), crypto.load_identities(str(key))) == b"hello from age\n"


def test_a_wrong_identity_or_recipient_is_a_clear_error(tmp_path, keypair):
    key, public = keypair
    other = tmp_path / "other.txt"
    subprocess.run(["age-keygen", "-o", str(other)], check=True, capture_output=True)
    sealed = crypto.encrypt(b"secret", crypto.parse_recipients(public))
    with pytest.raises(crypto.EncryptedSession, match="cannot decrypt"):
        crypto.decrypt(sealed, crypto.load_identities(str(other)), "x.jsonl.gz.age")
    with pytest.raises(ConfigError, match="not an age or SSH recipient"):
        crypto.parse_recipients("age1notakey")
    garbage = tmp_path / "garbage"
    garbage.write_text("this is not a key\n")
    with pytest.raises(ConfigError, match="neither an age identity file nor an SSH private key"):
        crypto.load_identities(str(garbage))
    with pytest.raises(ConfigError, match="identity_file"):
        crypto.load_identities(str(tmp_path / "missing.txt"))

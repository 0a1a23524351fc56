"""Logs at rest, encrypted with age (https://age-encryption.org), for finished
sessions when the user sets `encrypt_recipients` (docs/security.md).

The format is age's own: Debian's `age -d -i KEY FILE | zcat | jq` reads what
we write, and we read what `age -r RECIPIENT` writes. The work is done by
pyrage (the `crypto` extra: `pip install 'cs-sessions[crypto]'`), imported
only when an encrypted file is written or read. Recipients: `age1...` X25519
keys and `ssh-ed25519 ...` / `ssh-rsa ...` public keys. Identities (to read):
an age identity file (`AGE-SECRET-KEY-1...` lines, comments allowed) or an
unencrypted SSH private key. Tests: tests/test_crypto.py.
"""

from cs.errors import ConfigError, CsError

SUFFIX = ".age"
INSTALL = "pip install 'cs-sessions[crypto]'"


class EncryptedSession(CsError):
    """An encrypted log and no identity to read it with."""


def _pyrage():
    try:
        import pyrage
    except ImportError:
        raise CsError(f"encrypted logs need the crypto extra: {INSTALL}") from None
    return pyrage


def parse_recipients(text: str) -> list:
    """The recipients of `encrypt_recipients` (comma-separated), checked;
    ConfigError naming the one that is not a recipient."""
    pyrage = _pyrage()
    out = []
    for item in (part.strip() for part in str(text).split(",")):
        if not item:
            continue
        try:
            if item.startswith("age1"):
                out.append(pyrage.x25519.Recipient.from_str(item))
            elif item.startswith(("ssh-ed25519 ", "ssh-rsa ")):
                out.append(pyrage.ssh.Recipient.from_str(item))
            else:
                raise ValueError("unknown kind")
        except Exception as e:  # pyrage raises its own RecipientError
            raise ConfigError(f"encrypt_recipients: {item[:40]!r} is not an age or SSH recipient ({e})") from None
    if not out:
        raise ConfigError("encrypt_recipients: no recipient given")
    return out


def load_identities(path: str) -> list:
    """The identities in an age identity file or an SSH private key file."""
    pyrage = _pyrage()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigError(f"identity_file {path}: {e.strerror}") from None
    identities = []
    for raw in data.splitlines():
        line = raw.strip()
        if line.startswith(b"AGE-SECRET-KEY-"):
            try:
                identities.append(pyrage.x25519.Identity.from_str(line.decode("ascii")))
            except Exception as e:
                raise ConfigError(f"identity_file {path}: not an age identity ({e})") from None
    if not identities:
        try:
            identities.append(pyrage.ssh.Identity.from_buffer(data))
        except Exception as e:
            raise ConfigError(
                f"identity_file {path}: neither an age identity file nor an SSH private key ({e})"
            ) from None
    return identities


def encrypt(data: bytes, recipients: list) -> bytes:
    return _pyrage().encrypt(data, recipients)


def decrypt(data: bytes, identities: list, name: str = "") -> bytes:
    pyrage = _pyrage()
    try:
        return pyrage.decrypt(data, identities)
    except Exception as e:
        raise EncryptedSession(f"{name}: cannot decrypt with the configured identity_file ({e})") from None


# ---------------------------------------------------------------- reading with the configured identity

# Where the identity comes from: cs.log imports nothing of cs.config, so the
# CLI installs a callable returning the configured identity_file (a path, or
# None when the setting is unset) before any command runs (cs.cli.cli).
_identity_source = None
_loaded = {}  # path -> identities (loaded once per process)
unreadable = {}  # session id -> why it could not be read (for one notice per command)
reported = False  # the notice was given


def set_identity_source(source) -> None:
    global _identity_source
    _identity_source = source
    _loaded.clear()


def configured_identities(name: str = "") -> list:
    """The identities of `identity_file`; EncryptedSession naming the missing
    setting (or the unreadable file) otherwise."""
    path = _identity_source() if _identity_source is not None else None
    if not path:
        raise EncryptedSession(
            f"{name} is encrypted and identity_file is not set: `cs config identity_file PATH` "
            "(the age identity, or SSH private key, of one of encrypt_recipients) reads it"
        )
    if path not in _loaded:
        try:
            _loaded[path] = load_identities(path)
        except ConfigError as e:
            raise EncryptedSession(f"{name} is encrypted and cannot be read: {e}") from None
    return _loaded[path]


def check_configured(name: str) -> None:
    """EncryptedSession (noted in `unreadable`) now if there is no identity to
    read `name` with, before its bytes are read."""
    sid = name.split(".", 1)[0]
    try:
        configured_identities(f"session {sid[:8]}")
    except EncryptedSession as e:
        unreadable[sid] = str(e)
        raise


def decrypt_configured(data: bytes, name: str) -> bytes:
    """The plaintext of an age file named `name` (<session id>...), with the
    configured identity; EncryptedSession (noted in `unreadable`) otherwise."""
    sid = name.split(".", 1)[0]
    try:
        return decrypt(data, configured_identities(f"session {sid[:8]}"), f"session {sid[:8]} ({name})")
    except EncryptedSession as e:
        unreadable[sid] = str(e)
        raise

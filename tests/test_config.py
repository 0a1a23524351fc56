"""config.toml: tolerant load for the recorder, strict load for the CLI, and
`cs config` show / set / --unset with validated, atomic, private writes."""

import json
import os
import subprocess

import pytest

from cs import config
from cs.log import paths


@pytest.fixture
def cfg(cs_home):
    paths.ensure_private_dir(cs_home)
    return paths.config_path()


def run(cs_exe, *args):
    return subprocess.run([cs_exe, *args], capture_output=True, text=True, timeout=30)


def test_defaults_without_a_file(cs_home):
    assert config.load() == config.DEFAULTS
    assert config.load_checked() == config.DEFAULTS
    assert not paths.config_path().exists()


def test_values_from_the_file(cfg):
    cfg.write_text(
        'retention = "90d"\nmax_total_size = "20G"\nrotate_size = "64M"\ncompress_after = "3d"\n'
        'idle_time_limit = "off"\n'
    )
    want = {
        "retention": "90d",
        "max_total_size": "20G",
        "rotate_size": "64M",
        "compress_after": "3d",
        "idle_time_limit": "off",
    }
    want = {**config.DEFAULTS, **want}
    assert config.load() == want and config.load_checked() == want


@pytest.mark.parametrize(
    "text, key",
    [
        ('retention = "90 days"\n', "retention"),
        ("retention = 90\n", "retention"),
        ('retention = "0d"\n', "retention"),
        ('max_total_size = "lots"\n', "max_total_size"),
        ('rotate_size = "256"\n', "rotate_size"),
        ('compress_after = "-1d"\n', "compress_after"),
        ('retension = "90d"\n', "retension"),
    ],
)
def test_bad_values_and_unknown_keys(cfg, text, key):
    cfg.write_text(text)
    with pytest.raises(config.ConfigError) as err:
        config.load_checked()
    assert str(cfg) in str(err.value) and key in str(err.value)
    # the recorder's load never raises: the bad key falls back to its default
    assert config.load() == config.DEFAULTS


def test_broken_toml_falls_back_to_defaults_for_the_recorder(cfg):
    cfg.write_text('rotate_size = "64M"\nretention = [\n')
    assert config.load() == config.DEFAULTS
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load_checked()


def test_one_bad_value_does_not_discard_the_good_ones_in_load(cfg):
    cfg.write_text('rotate_size = "64M"\nretention = "soon"\n')
    assert config.load()["rotate_size"] == "64M" and config.load()["retention"] is None


def test_show_marks_defaults(cs_exe, cfg):
    cfg.write_text('retention = "30d"\n')
    proc = run(cs_exe, "config")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert 'retention = "30d"' in lines
    assert 'rotate_size = "256M"  # default' in lines
    assert "max_total_size = (unset)  # default" in lines
    data = json.loads(run(cs_exe, "config", "--json").stdout)
    by_key = {s["key"]: s for s in data["settings"]}
    assert by_key["retention"]["is_default"] is False and by_key["compress_after"]["is_default"] is True
    assert data["path"] == str(cfg)
    assert run(cs_exe, "config", "retention").stdout.strip() == 'retention = "30d"'


def test_set_writes_privately_and_atomically_keeping_comments(cs_exe, cfg):
    cfg.write_text('# my settings\nretention = "30d"  # a month\n\n# rotation\nrotate_size = "64M"\n')
    os.chmod(cfg, 0o644)
    proc = subprocess.run(
        ["sh", "-c", 'umask 000; exec "$0" config retention 90d', cs_exe], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    text = cfg.read_text()
    assert "# my settings" in text and "# rotation" in text and 'rotate_size = "64M"' in text
    assert 'retention = "90d"' in text and '"30d"' not in text
    assert cfg.stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(cfg.parent)) == ["config.toml"]  # no temp file left
    assert config.load_checked()["retention"] == "90d"


def test_set_appends_a_new_key_and_reads_back(cs_exe, cfg):
    assert run(cs_exe, "config", "max_total_size", "5G").returncode == 0
    assert run(cs_exe, "config", "compress_after", "OFF").returncode == 0
    assert config.load_checked()["max_total_size"] == "5G"
    assert config.load_checked()["compress_after"] == "off"


@pytest.mark.parametrize(
    "args",
    [
        ["retention", "30x"],
        ["retention", "-1d"],
        ["max_total_size", "lots"],
        ["rotate_size", "10"],
        ["nosuchkey", "1"],
        ["nosuchkey"],
    ],
)
def test_set_rejects_bad_input_and_changes_nothing(cs_exe, cfg, args):
    cfg.write_text('retention = "30d"\n')
    before = cfg.read_bytes()
    proc = run(cs_exe, "config", *args)
    assert proc.returncode == 2 and proc.stderr.splitlines()[-1].startswith("cs: ") and "Traceback" not in proc.stderr
    assert cfg.read_bytes() == before


def test_set_refuses_to_edit_a_broken_file(cs_exe, cfg):
    cfg.write_text("retention = [\n")
    proc = run(cs_exe, "config", "retention", "30d")
    assert proc.returncode == 1 and str(cfg) in proc.stderr and "Traceback" not in proc.stderr
    assert cfg.read_text() == "retention = [\n"
    proc = run(cs_exe, "config")
    assert proc.returncode == 1 and "not valid TOML" in proc.stderr


def test_unset_returns_to_default_and_fixes_typos(cs_exe, cfg):
    cfg.write_text('retention = "30d"\nretension = "90d"\n')
    assert run(cs_exe, "config").returncode == 1  # the typo is reported...
    proc = run(cs_exe, "config", "--unset", "retension")  # ...and can be removed
    assert proc.returncode == 0, proc.stderr
    assert run(cs_exe, "config", "--unset", "retention").returncode == 0
    assert config.load_checked() == config.DEFAULTS
    proc = run(cs_exe, "config", "--unset", "retention")
    assert proc.returncode == 0 and "was not set" in proc.stdout
    assert run(cs_exe, "config", "--unset", "bogus").returncode == 2


def test_special_characters_are_written_as_valid_toml():
    # Only sizes/durations are valid values today, but the writer must never
    # produce a file tomllib cannot read back, whatever it is given.
    import tomllib

    value = 'a"b\\c\n\x7f'
    line = "retention = " + config._toml_string(value) + "\n"
    text, _ = config._edited_text("# header\n", "retention", line)
    assert tomllib.loads(text)["retention"] == value


def test_unset_with_a_broken_config_file_reports_the_file_not_the_key(cs_exe, cfg):
    cfg.write_text("retention = [\n")
    proc = run(cs_exe, "config", "--unset", "retention")
    assert proc.returncode == 1, proc.stderr
    assert str(cfg) in proc.stderr and "not valid TOML" in proc.stderr and "for 'KEY'" not in proc.stderr


def test_secret_settings_are_typed_and_a_recipient_without_pyrage_says_what_to_install(cfg, monkeypatch):
    cfg.write_text("redact = false\nredact_patterns = ['ACME-\\d{12}', 'x{2,3}y']\nindex_encrypted = \"off\"\n")
    s = config.settings()
    assert s.redact is False and s.index_encrypted is False
    assert s.redact_patterns == ("ACME-\\d{12}", "x{2,3}y")
    assert s.encrypt_recipients is None and s.identity_file is None
    assert config.split_patterns(r"a{2,3},b[,],c\,d") == ["a{2,3}", "b[,]", "c,d"]
    monkeypatch.setitem(__import__("sys").modules, "pyrage", None)
    with pytest.raises(config.ConfigError, match=r"pip install 'cs-sessions\[crypto\]'"):
        config.set_value("encrypt_recipients", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq")
    assert "encrypt_recipients" not in cfg.read_text()

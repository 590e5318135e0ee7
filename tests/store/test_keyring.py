"""One key ring for every engine of a deployment: where it comes from, what goes wrong."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from crossheat.errors import ConfigError
from crossheat.store import keyring
from crossheat.store.keyring import add_new_key, keep_first_key, read_keys
from crossheat.store.secrets import Sealer, SecretBox


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deployment's key file named by ``CROSSHEAT_SECRET_KEY_FILE``, one key in it."""
    path = tmp_path / "deployment.key"
    add_new_key(path)
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY_FILE", str(path))
    return path


def test_engines_sharing_the_key_file_open_each_others_values(shared: Path) -> None:
    sealed = SecretBox.from_environment().seal({"pw": "s3cret"})
    assert SecretBox.from_environment().open(sealed) == {"pw": "s3cret"}
    # and not the per-host key: none was made
    assert not (keyring.default_key_path()).exists()


def test_the_first_key_seals_and_every_key_opens(shared: Path) -> None:
    old_box = SecretBox.from_environment()
    by_old = old_box.seal("old")
    add_new_key(shared)
    assert len(read_keys(shared)) == 2
    box = SecretBox.from_environment()
    by_new = box.seal("new")
    assert box.open(by_old) == "old" and box.open(by_new) == "new"
    assert (box.sealer(by_old), box.sealer(by_new)) == (Sealer.OLD, Sealer.FIRST)
    resealed = box.reseal(by_old)
    assert resealed is not None and box.sealer(resealed) is Sealer.FIRST
    assert box.open(resealed) == "old" and box.reseal(by_new) is None
    stranger = SecretBox(Fernet.generate_key()).seal("x")
    assert box.sealer(stranger) is Sealer.UNKNOWN
    with pytest.raises(ConfigError, match="sealed with a key this engine does not have"):
        box.reseal(stranger)


def test_new_key_keeps_the_old_ones_and_the_mode(shared: Path) -> None:
    (first,) = read_keys(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600
    shared.chmod(0o640)
    keys = add_new_key(shared)
    assert keys[1:] == (first,) and read_keys(shared) == keys
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
    assert keep_first_key(shared, keys[0]) == (first,)
    assert read_keys(shared) == keys[:1]


def test_retiring_refuses_a_file_given_a_new_first_key_meanwhile(shared: Path) -> None:
    (first,) = read_keys(shared)
    add_new_key(shared)
    with pytest.raises(ConfigError, match="changed meanwhile"):
        keep_first_key(shared, first)
    assert len(read_keys(shared)) == 2


def test_the_keys_in_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY", old)
    by_old = SecretBox.from_environment().seal("v")
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY", f"{new}, {old}")
    box = SecretBox.from_environment()
    assert box.open(by_old) == "v" and box.sealer(box.seal("w")) is Sealer.FIRST
    assert str(box.keys) == "CROSSHEAT_SECRET_KEY"
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY", f"{new},nope")
    with pytest.raises(ConfigError, match="CROSSHEAT_SECRET_KEY: entry 2 is not a Fernet key"):
        SecretBox.from_environment()


def test_both_settings_at_once_are_refused(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="set only one"):
        SecretBox.from_environment()


def test_a_missing_key_file_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere" / "deployment.key"
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY_FILE", str(missing))
    with pytest.raises(ConfigError) as caught:
        SecretBox.from_environment()
    message = str(caught.value)
    assert f"the secret key file {missing} does not exist" in message
    assert "copy the deployment's key file there" in message
    assert f"crossheat secrets new-key --file {missing}" in message
    assert not missing.exists()  # a named file is never made behind the user's back


def test_an_unreadable_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSHEAT_SECRET_KEY_FILE", str(tmp_path))  # a directory
    with pytest.raises(ConfigError, match=f"cannot read the secret key file {tmp_path} "):
        SecretBox.from_environment()


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "holds no key"), ("\n  \n", "holds no key"), ("{key}\nnot-a-key\n", "line 2 is not")],
)
def test_a_malformed_key_file(shared: Path, text: str, problem: str) -> None:
    shared.write_text(text.format(key=Fernet.generate_key().decode()))
    with pytest.raises(ConfigError, match=f"the secret key file {shared}.*{problem}"):
        SecretBox.from_environment()


def test_a_running_engine_picks_up_a_changed_key_file(
    shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = SecretBox.from_environment()
    add_new_key(shared)
    started_later = SecretBox.from_environment()
    by_new = started_later.seal("v")
    assert running.open(by_new) == "v"  # a value it cannot open makes it read the file
    monkeypatch.setattr(keyring, "RECHECK_S", 0.0)
    assert started_later.sealer(running.seal("w")) is Sealer.FIRST  # it seals with the new key
    shared.write_text("half-written")
    assert running.open(by_new) == "v"  # a broken file leaves the keys it had


def test_the_per_host_key_file_by_default(tmp_path: Path) -> None:
    box = SecretBox.from_environment()
    assert keyring.default_key_path() == tmp_path / "config" / "crossheat" / "secret.key"
    assert str(box.keys) == f"the per-host key file {keyring.default_key_path()}"
    assert SecretBox.from_environment().open(box.seal("x")) == "x"

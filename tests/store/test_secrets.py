from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from crossheat.errors import ConfigError
from crossheat.store.secrets import SecretBox, default_key_path, is_sealed, sealed_paths


@pytest.mark.parametrize("value", ["s3cret", 42, None, {"a": [1, "x"]}, ""])
def test_seal_then_open_gives_the_value_back(value: object) -> None:
    box = SecretBox(Fernet.generate_key())
    sealed = box.seal(value)
    assert sealed.startswith("enc:v1:") and is_sealed(sealed)
    assert "s3cret" not in sealed
    assert box.open(sealed) == value


def test_seal_paths_seals_only_the_named_values() -> None:
    box = SecretBox(Fernet.generate_key())
    data = {"db": {"password": "pw"}, "keys": ["k0", "k1"], "size": 1}
    sealed = box.seal_paths(data, [("db", "password"), ("keys", 1), "missing", ("size", "x")])
    assert sealed["size"] == 1 and sealed["keys"][0] == "k0"
    assert is_sealed(sealed["db"]["password"]) and is_sealed(sealed["keys"][1])
    assert data == {"db": {"password": "pw"}, "keys": ["k0", "k1"], "size": 1}
    assert sorted(sealed_paths(sealed), key=str) == [("db", "password"), ("keys", 1)]
    assert box.open_all(sealed) == data
    assert box.secret_texts(sealed) == {"pw", "k1"}


def test_another_key_cannot_open() -> None:
    sealed = SecretBox(Fernet.generate_key()).seal("x")
    with pytest.raises(ConfigError) as caught:
        SecretBox(Fernet.generate_key()).open(sealed)
    assert (
        "sealed with a key this engine does not have: set CROSSHEAT_SECRET_KEY_FILE to the "
        "deployment's key file" in str(caught.value)
    )


def test_key_file_is_created_private_under_xdg_config_home(tmp_path: Path) -> None:
    path = default_key_path()
    assert path == tmp_path / "config" / "crossheat" / "secret.key"
    sealed = SecretBox.from_key_file().seal("x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretBox.from_key_file().open(sealed) == "x"


def test_a_broken_key_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    with pytest.raises(ConfigError, match=f"{bad}: line 1 is not a Fernet key"):
        SecretBox.from_key_file(bad)

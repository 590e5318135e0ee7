"""``crossheat secrets ...`` as an operator runs it: the key file, and what each command
refuses. (Rotation across engines: ``tests/e2e/test_shared_key.py``.)"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def crossheat(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CROSSHEAT_")},
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "PYTHONWARNINGS": "ignore",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "crossheat", *args],
        capture_output=True, text=True, env=environment, timeout=120,
    )  # fmt: skip


def test_new_key_prepends_and_retire_old_keeps_the_first(tmp_path: Path) -> None:
    ring = tmp_path / "keys" / "deployment.key"
    made = crossheat("secrets", "new-key", "--file", str(ring), home=tmp_path)
    assert made.returncode == 0 and "1 key(s)" in made.stdout
    assert stat.S_IMODE(ring.stat().st_mode) == 0o600
    (first,) = ring.read_text().split()
    added = crossheat("secrets", "new-key", home=tmp_path, CROSSHEAT_SECRET_KEY_FILE=str(ring))
    assert added.returncode == 0 and "crossheat secrets rotate" in added.stdout
    new, old = ring.read_text().split()
    assert old == first and new != first
    assert first not in added.stdout + added.stderr  # a key is never printed
    status = crossheat("secrets", "status", "-f", "json", home=tmp_path,
                       CROSSHEAT_SECRET_KEY_FILE=str(ring))  # fmt: skip
    assert json.loads(status.stdout) == {
        "source": f"the key file {ring}", "keys": 2, "sealed_with_first_key": 0,
        "sealed_with_old_key": 0, "sealed_with_unknown_key": 0,
    }  # fmt: skip
    retired = crossheat("secrets", "retire-old", "--file", str(ring), home=tmp_path)
    assert retired.returncode == 0 and "retired 1 old key" in retired.stdout
    assert ring.read_text().split() == [new]
    again = crossheat("secrets", "retire-old", "--file", str(ring), home=tmp_path)
    assert again.returncode == 0 and "nothing to retire" in again.stdout
    assert not (tmp_path / "config" / "crossheat" / "secret.key").exists()


def test_keys_in_a_setting_cannot_be_changed_by_a_command(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    done = crossheat("secrets", "new-key", home=tmp_path, CROSSHEAT_SECRET_KEY=key)
    assert done.returncode == 1
    assert "given in CROSSHEAT_SECRET_KEY, which no command can change" in done.stderr
    assert "--file" in done.stderr


def test_a_missing_key_file_stops_a_command_with_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "deployment.key"
    done = crossheat("stack", "show", "any", home=tmp_path, CROSSHEAT_SECRET_KEY_FILE=str(missing))
    assert done.returncode == 1
    assert f"the secret key file {missing} does not exist" in done.stderr
    assert "Traceback" not in done.stderr

"""The cenat-hub command, run in a subprocess against a SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(
    args: list[str], data_dir: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": ""}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "cenat_hub", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_migrate_creates_database(data_dir: Path) -> None:
    result = _run(["migrate"], data_dir)
    assert result.returncode == 0, result.stderr
    assert "Database is at revision" in result.stdout
    assert (data_dir / "cenat_hub.db").exists()


def test_create_admin_then_duplicate_is_refused(data_dir: Path) -> None:
    args = ["create-admin", "--email", "ana@teste.invalid", "--name", "Ana Teste"]
    first = _run([*args, "--password", "senha-forte-123"], data_dir)
    assert first.returncode == 0, first.stderr
    assert "Admin ana@teste.invalid created" in first.stdout

    second = _run([*args, "--password", "senha-forte-123"], data_dir)
    assert second.returncode == 1
    assert "already exists" in second.stderr


def test_create_admin_rejects_short_password(data_dir: Path) -> None:
    result = _run(
        [
            "create-admin",
            "--email",
            "b@teste.invalid",
            "--name",
            "B",
            "--password",
            "curta",
        ],
        data_dir,
    )
    assert result.returncode == 1
    assert "too short" in result.stderr

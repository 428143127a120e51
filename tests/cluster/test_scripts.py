"""``up.sh`` and ``down.sh`` without a topology: a mistake is one clear line before anything
starts, and ``down.sh`` touches nothing it did not make. (These need no cluster leg.)"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.cluster.conftest import DEPLOY


def script(name: str, state: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (this repository's own scripts)
        [str(DEPLOY / name), *args],
        env={**os.environ, "QUILLPRESS_LOCAL_DIR": str(state), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_instance_count_is_one_line_and_starts_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = script("up.sh", state, "--instances", "0")
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["up.sh: --instances must be 1 to 99, not '0'"]
    assert not state.exists()


def test_missing_nginx_is_one_line_with_the_install_command(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = script("up.sh", state, QUILLPRESS_NGINX=str(tmp_path / "no-nginx"))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("up.sh: nginx not found at ")
    assert "apt-get install -y nginx" in line
    assert not state.exists()


def test_down_with_nothing_recorded_is_a_no_op(tmp_path: Path) -> None:
    done = script("down.sh", tmp_path / "never-started")
    assert done.returncode == 0
    assert "nothing to stop" in done.stdout


def test_down_leaves_a_directory_up_did_not_make_alone(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    done = script("down.sh", tmp_path)
    assert done.returncode == 1
    assert "not made by up.sh" in done.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_up_help_lists_every_option_and_starts_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    for flag in ("--help", "-h"):
        done = script("up.sh", state, flag)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        assert "Usage: deploy/local/up.sh [--instances N] [--seed]" in done.stdout
        for option in ("--instances N", "--seed", "-h, --help"):
            assert f"\n  {option} " in done.stdout, option
        assert "#" not in done.stdout  # the comment block, shown as text
    assert not state.exists()


def test_up_refuses_an_unknown_option_in_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = script("up.sh", state, "--seeds")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "up.sh: unknown argument '--seeds' (usage: up.sh [--instances N] [--seed]; up.sh --help)"
    ]
    assert not state.exists()


def test_down_help_prints_help_and_stops_nothing(tmp_path: Path) -> None:
    """``down.sh --help`` once stopped the topology it was asked about."""
    state = tmp_path / "state"
    state.mkdir()
    (state / ".quillpress-local").touch()  # a directory up.sh made
    for flag in ("--help", "-h"):
        done = script("down.sh", state, flag)
        assert done.returncode == 0, done.stderr
        assert "Usage: deploy/local/down.sh [-h|--help]" in done.stdout
        assert "QUILLPRESS_LOCAL_DIR" in done.stdout
    assert (state / ".quillpress-local").exists()  # untouched
    wrong = script("down.sh", state, "now")
    assert wrong.returncode == 1
    assert wrong.stderr.splitlines() == [
        "down.sh: unknown argument 'now' (usage: down.sh; down.sh --help)"
    ]
    assert (state / ".quillpress-local").exists()

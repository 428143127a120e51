"""uv.lock is what every install uses (make, the Dockerfile, CI through make): it must hold
what pyproject.toml asks for, pin every file by hash, and be read by one uv version.

``make test`` also runs ``uv lock --check --offline``; this is the same check from the lock
file alone, so it holds wherever the suite runs, uv or not, and never asks the index."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
UPDATE = "uv.lock does not match pyproject.toml: run `make lock` and commit uv.lock"

Wanted = tuple[str, tuple[str, ...], str, str | None]


def _wanted(requirement: str, extra: str | None) -> Wanted:
    parsed = Requirement(requirement)
    return (
        canonicalize_name(parsed.name),
        tuple(sorted(parsed.extras)),
        str(parsed.specifier),
        extra,
    )


def _project_requirements() -> set[Wanted]:
    project = PYPROJECT["project"]
    wanted = {_wanted(line, None) for line in project["dependencies"]}
    for extra, lines in project["optional-dependencies"].items():
        wanted |= {_wanted(line, extra) for line in lines}
    return wanted


def _locked_project() -> dict[str, Any]:
    (package,) = [p for p in LOCK["package"] if p["name"] == PYPROJECT["project"]["name"]]
    return package


def _locked_requirements() -> set[Wanted]:
    locked = set()
    for entry in _locked_project()["metadata"]["requires-dist"]:
        marker = entry.get("marker")
        extra = re.fullmatch(r"extra == '([^']+)'", marker) if marker else None
        assert marker is None or extra is not None, f"unexpected marker {marker!r}"
        locked.add(
            (
                canonicalize_name(entry["name"]),
                tuple(sorted(entry.get("extras", []))),
                entry.get("specifier", ""),
                extra.group(1) if extra else None,
            )
        )
    return locked


def test_the_lock_records_exactly_the_requirements_of_pyproject() -> None:
    assert _locked_requirements() == _project_requirements(), UPDATE
    extras = _locked_project()["metadata"]["provides-extras"]
    assert sorted(extras) == sorted(PYPROJECT["project"]["optional-dependencies"]), UPDATE
    assert LOCK["requires-python"] == PYPROJECT["project"]["requires-python"], UPDATE


def test_every_direct_dependency_is_pinned_and_locked_at_its_pin() -> None:
    """The project pins its direct dependencies (``==``); the lock adds the transitive
    ones and never moves a pinned one."""
    versions: dict[str, set[str]] = {}
    for package in LOCK["package"]:
        versions.setdefault(package["name"], set()).add(package.get("version", ""))
    for name, _, specifier, _ in _project_requirements():
        assert specifier.startswith("=="), f"{name} is not pinned: {specifier!r}"
        assert versions.get(name) == {specifier[2:]}, (name, versions.get(name))


def test_every_locked_file_has_a_hash() -> None:
    files = 0
    for package in LOCK["package"]:
        if "registry" not in package["source"]:
            continue  # the project itself, built from this tree
        for file in [*package.get("wheels", []), *filter(None, [package.get("sdist")])]:
            files += 1
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", file.get("hash", "")), (package, file)
    assert files > 100  # it looked


def test_make_the_dockerfile_and_pyproject_name_one_uv_version() -> None:
    required = PYPROJECT["tool"]["uv"]["required-version"]
    makefile = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    dockerfile = re.findall(r"pip install uv==(\S+)", (ROOT / "Dockerfile").read_text())
    assert makefile is not None
    assert required == f"=={makefile.group(1)}"
    assert dockerfile == [makefile.group(1)]


def test_the_build_backend_is_pinned() -> None:
    """Two builds of one commit build the package with the same hatchling."""
    (backend,) = PYPROJECT["build-system"]["requires"]
    assert str(Requirement(backend).specifier).startswith("==")

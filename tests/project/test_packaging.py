"""Every package directory ships: a regular `pip install .` installs only the packages that
`pyproject.toml` lists, so a sub-package missing from that list (or without `__init__.py`)
works in an editable checkout and is absent from an installed one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGES = ("core", "grammar", "extract", "index", "mutate", "jobs", "corpus", "cli")


def source_packages() -> set[str]:
    """Dotted names of every stage directory that holds Python modules."""
    found = set()
    for stage in STAGES:
        for module in (REPO / stage).rglob("*.py"):
            rel = module.parent.relative_to(REPO)
            found.add("lean_alchemy." + ".".join(rel.parts))
    return found


def listed_packages() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_directory_is_listed_in_pyproject():
    missing = sorted(source_packages() - listed_packages())
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_listed_package_has_an_init_module():
    no_init = sorted(name for name in listed_packages()
                     if not (REPO / Path(*name.split(".")[1:]) / "__init__.py").is_file())
    assert not no_init, f"packages without __init__.py: {no_init}"


def test_listed_packages_exist():
    assert listed_packages() <= source_packages()

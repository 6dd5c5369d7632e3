"""Shared fixtures.

`standin_toolchain`: a ready Lean workspace whose `lake`, `lean` and REPL are the Python
stand-in in tests/standin (it speaks `lean --json` and the REPL protocol; what it decides is
written in the Lean text as `-- standin: ...` directives, see tests/standin/standin_core.py).
Toolchain discovery runs for real on it, so whatever works here goes through the same code
as on a machine with Lean.  The workspace builder and the stand-in's constants are in
tests/helpers/standin.py; builders of records are in tests/helpers/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.standin import STANDIN_ENV_VARS, make_standin_workspace


@pytest.fixture
def standin_toolchain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A ready `Toolchain` backed by the stand-in (first on PATH for the whole test)."""
    from lean_alchemy.jobs.toolchain import discover_toolchain

    bin_dir, ws = make_standin_workspace(tmp_path)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("ELAN_HOME", str(tmp_path / "no-elan"))  # never a real ~/.elan
    for var in STANDIN_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    tc = discover_toolchain(ws)
    assert tc.ready, tc.problem
    return tc

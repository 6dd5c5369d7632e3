"""Shared fixtures.

`standin_toolchain`: a ready Lean workspace whose `lake`, `lean` and REPL are the Python
stand-in in tests/standin (it speaks `lean --json` and the REPL protocol; what it decides is
written in the Lean text as `-- standin: ...` directives, see tests/standin/standin_core.py).
Toolchain discovery runs for real on it, so whatever works here goes through the same code
as on a machine with Lean.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STANDIN_DIR = REPO / "tests" / "standin"
STANDIN_MATHLIB_REV = "f4a75053ba65be55859c28f56b58c48ddff8db5f"
STANDIN_ENV_VARS = ("STANDIN_REJECT", "STANDIN_REJECT_MESSAGE", "STANDIN_BAD_IMPORT",
                    "STANDIN_LOG", "STANDIN_LAKE_FAIL", "STANDIN_LEAN_VERSION",
                    "STANDIN_START_CRASH", "STANDIN_START_STATE", "STANDIN_SOURCES",
                    "STANDIN_IMPORT_HANG")


def make_standin_workspace(root: Path) -> tuple[Path, Path]:
    """(bin dir, workspace) under `root`: the bin dir holds `lake` and `lean` (the stand-in)
    and `python3` (this interpreter, so the stand-in starts fast and never depends on the
    system Python); the workspace has what discovery checks: lean-toolchain, lakefile.toml,
    lake-manifest.json with a mathlib revision, Mathlib.olean, the REPL binary."""
    bin_dir = root / "standin-bin"
    bin_dir.mkdir(parents=True)
    for name in ("lake", "lean"):
        os.symlink(STANDIN_DIR / name, bin_dir / name)
    os.symlink(sys.executable, bin_dir / "python3")
    ws = root / "standin-ws"
    ws.mkdir()
    shutil.copy(REPO / "lean_workspace" / "lean-toolchain", ws / "lean-toolchain")
    shutil.copy(REPO / "lean_workspace" / "lakefile.toml", ws / "lakefile.toml")
    (ws / "lake-manifest.json").write_text(json.dumps({
        "version": "1.1.0", "packagesDir": ".lake/packages",
        "packages": [{"name": "REPL", "rev": "standin", "type": "git"},
                     {"name": "mathlib", "rev": STANDIN_MATHLIB_REV, "type": "git"}]}))
    lib = ws / ".lake/packages/mathlib/.lake/build/lib/lean"
    lib.mkdir(parents=True)
    (lib / "Mathlib.olean").write_bytes(b"stand-in olean")
    repl_bin = ws / ".lake/packages/REPL/.lake/build/bin"
    repl_bin.mkdir(parents=True)
    os.symlink(STANDIN_DIR / "repl", repl_bin / "repl")
    return bin_dir, ws


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

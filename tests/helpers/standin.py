"""The stand-in Lean toolchain: the Python `lake`, `lean` and REPL in tests/standin, laid out as
a ready Lean workspace.

The stand-in speaks `lean --json` and the REPL protocol; what it decides is written in the
Lean text as `-- standin: ...` directives (see tests/standin/standin_core.py).  The
`standin_toolchain` fixture of tests/conftest.py puts it first on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
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

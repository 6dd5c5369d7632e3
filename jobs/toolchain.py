"""Finding the Lean toolchain and the built workspace that Lean checks run in.

Why a separate module: every checker, the `run` driver and `status` need the same answer to
"can Lean check here, and with which Lean and which Mathlib?", and the answer must be cheap,
must never raise on a machine without Lean (an expected state of this tool) and must name the
fix (`alchemy setup-lean`).  The Lean version and the Mathlib revision found here are stamped
on every verdict, so a corpus row always says what it was checked against.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lean_alchemy.core.errors import AlchemyError

def default_workspace() -> Path:
    """The bundled Lake workspace (Mathlib and the REPL pinned), as an absolute path: the
    `lean_workspace/` next to the installed package's sources (the source checkout of an
    editable install), never a folder of the current directory, so the command printed as
    the next step works from anywhere."""
    return Path(__file__).resolve().parents[1] / "lean_workspace"


def workspace_path(option: str, src: str | Path | None = None) -> Path:
    """`[check] workspace` as a path.  When the option is empty: the project's own Lake
    root when `src` is (or lies in) one whose dependencies include Mathlib
    (`project_workspace`), else the bundled workspace; never the current directory."""
    if option:
        return Path(option).expanduser()
    own = project_workspace(Path(src)) if src else None
    return own if own is not None else default_workspace()


LAKEFILES = ("lakefile.toml", "lakefile.lean")
_REQUIRE_MATHLIB = re.compile(r"^\s*require\s+[\"«]?mathlib\b", re.M | re.I)


def lake_root(path: Path) -> Path | None:
    """The nearest Lake project holding `path` (itself or a parent with a lakefile and a
    `lean-toolchain`), as an absolute path; None outside any."""
    p = path.expanduser().resolve()
    for cand in (p, *p.parents):
        if (cand / "lean-toolchain").is_file() and any((cand / f).is_file() for f in LAKEFILES):
            return cand
    return None


def requires_mathlib(root: Path) -> bool:
    """Whether a Lake project depends on Mathlib: its manifest lists the package, or its
    lakefile requires it (`[[require]] name = "mathlib"`, `require mathlib from ...`)."""
    if manifest_rev(root) is not None or lakefile_rev(root) is not None:
        return True
    toml = root / "lakefile.toml"
    try:
        if toml.is_file():
            cfg = tomllib.loads(toml.read_text(encoding="utf-8"))
            return any(isinstance(r, dict) and str(r.get("name", "")).lower() == MATHLIB_PACKAGE
                       for r in cfg.get("require", []))
        lean = root / "lakefile.lean"
        return lean.is_file() and bool(_REQUIRE_MATHLIB.search(lean.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def project_workspace(src: Path) -> Path | None:
    """The Lake root of a project that imports Mathlib, where its mutants are checked (its
    manifest pins the Mathlib its sources compile against); None for anything else."""
    root = lake_root(src)
    return root if root is not None and requires_mathlib(root) else None


DEFAULT_WORKSPACE = default_workspace()
MATHLIB_PACKAGE = "mathlib"
REPL_PACKAGE = "REPL"

Runner = Callable[..., "subprocess.CompletedProcess[str]"]

_VERSION = re.compile(r"Lean \(version ([^,\s)]+)")
_TOOLCHAIN = re.compile(r"^(?:[\w.-]+/[\w.-]+:)?v?(\S+)$")


@dataclass(frozen=True)
class Toolchain:
    """What was found for one workspace.  `ready` means `lake env lean` can check a file that
    imports Mathlib; `problem` says why not (naming `alchemy setup-lean`)."""

    workspace: Path
    lake: Path | None
    lean: Path | None
    lean_version: str  # e.g. "4.33.0-rc1"; "" when unknown
    mathlib_rev: str  # the git revision Lake resolved for mathlib; "" when unknown
    repl_path: Path | None  # the built REPL binary, if any
    ready: bool
    problem: str | None
    lean_version_source: str = ""  # "lean --version" | "lean-toolchain" | ""

    @property
    def repl_ready(self) -> bool:
        return self.ready and self.repl_path is not None

    def lean_command(self) -> list[str]:
        """The command that runs Lean with the workspace's search path."""
        if self.lake is None:
            raise AlchemyError(self.problem or "lake not found: run `alchemy setup-lean`")
        return [str(self.lake), "env", "lean"]

    def repl_command(self) -> list[str]:
        if self.lake is None or self.repl_path is None:
            raise AlchemyError(
                f"the REPL is not built in {self.workspace}: run "
                f"`alchemy setup-lean --workspace {self.workspace}`")
        return [str(self.lake), "env", str(self.repl_path)]


def elan_bin_dir(env: dict[str, str] | None = None) -> Path:
    """Where elan puts `lake`, `lean` and `elan` ($ELAN_HOME/bin, default ~/.elan/bin)."""
    env = os.environ if env is None else env
    home = env.get("ELAN_HOME") or str(Path(env.get("HOME") or Path.home()) / ".elan")
    return Path(home) / "bin"


def search_path(env: dict[str, str] | None = None) -> str:
    """PATH with elan's bin directory appended: a fresh `alchemy setup-lean` installs elan
    there without the user's shell having picked it up yet."""
    env = os.environ if env is None else env
    parts = [p for p in (env.get("PATH") or "").split(os.pathsep) if p]
    elan = str(elan_bin_dir(env))
    if elan not in parts:
        parts.append(elan)
    return os.pathsep.join(parts)


def find_executable(name: str, env: dict[str, str] | None = None) -> Path | None:
    found = shutil.which(name, path=search_path(env))
    return Path(found) if found else None


def toolchain_pin(workspace: Path) -> str | None:
    """The `lean-toolchain` line of the workspace, e.g. `leanprover/lean4:v4.33.0-rc1`."""
    f = workspace / "lean-toolchain"
    try:
        text = f.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def version_of_pin(pin: str) -> str:
    m = _TOOLCHAIN.match(pin.strip())
    return m.group(1) if m else pin.strip()


def parse_lean_version(output: str) -> str | None:
    """`Lean (version 4.33.0-rc1, x86_64-unknown-linux-gnu, commit ..., Release)` -> 4.33.0-rc1."""
    m = _VERSION.search(output)
    return m.group(1) if m else None


def manifest_rev(workspace: Path, package: str = MATHLIB_PACKAGE) -> str | None:
    """The revision Lake resolved for `package` (lake-manifest.json, written by `lake update`)."""
    f = workspace / "lake-manifest.json"
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for pkg in data.get("packages", []) if isinstance(data, dict) else []:
        if isinstance(pkg, dict) and pkg.get("name", "").lower() == package.lower():
            rev = pkg.get("rev")
            return rev if isinstance(rev, str) and rev else None
    return None


def lakefile_rev(workspace: Path, package: str = MATHLIB_PACKAGE) -> str | None:
    """The revision pinned by `[[require]]` in lakefile.toml (before any `lake update`)."""
    f = workspace / "lakefile.toml"
    try:
        cfg = tomllib.loads(f.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    for req in cfg.get("require", []):
        if isinstance(req, dict) and str(req.get("name", "")).lower() == package.lower():
            rev = req.get("rev")
            return rev if isinstance(rev, str) and rev else None
    return None


def _package_dir(workspace: Path, package: str) -> Path:
    return workspace / ".lake" / "packages" / package


def mathlib_built(workspace: Path) -> bool:
    """Mathlib's compiled root module is present (from `lake exe cache get` or a build)."""
    build = _package_dir(workspace, MATHLIB_PACKAGE) / ".lake" / "build" / "lib"
    return any((build / sub / "Mathlib.olean").is_file() for sub in ("lean", "."))


def find_repl(workspace: Path) -> Path | None:
    """The REPL binary: built as a dependency (`.lake/packages/REPL/.lake/build/bin/repl`) or,
    when the workspace is a REPL checkout itself, `.lake/build/bin/repl`."""
    for cand in (_package_dir(workspace, REPL_PACKAGE) / ".lake" / "build" / "bin" / "repl",
                 _package_dir(workspace, "repl") / ".lake" / "build" / "bin" / "repl",
                 side_repl_dir(workspace) / ".lake" / "build" / "bin" / "repl",
                 workspace / ".lake" / "build" / "bin" / "repl"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def side_repl_dir(workspace: Path) -> Path:
    """Where `alchemy setup-lean` builds the REPL for a project whose lakefile does not
    require it: inside the project's `.lake` (Lake's own build folder), so the user's
    lakefile and manifest stay untouched."""
    return workspace / ".lake" / "alchemy" / "repl"


def setup_hint(workspace: Path) -> str:
    return f"run `alchemy setup-lean --workspace {workspace}` on a machine with internet access"


def discover_toolchain(workspace: Path = DEFAULT_WORKSPACE, *, probe: bool = True,
                       env: dict[str, str] | None = None, runner: Runner = subprocess.run,
                       timeout: float = 120.0) -> Toolchain:
    """Describe the toolchain for `workspace`; never raises.

    `probe` runs `lake env lean --version` in the workspace (the only way to learn the Lean
    actually used); without it, or when it fails, the version comes from `lean-toolchain`.
    """
    workspace = Path(workspace)
    lake = find_executable("lake", env)
    lean = find_executable("lean", env)
    pin = toolchain_pin(workspace)
    rev = manifest_rev(workspace) or ""
    repl = find_repl(workspace)

    problem: str | None = None
    if not workspace.is_dir():
        problem = f"Lean workspace {workspace} does not exist"
    elif pin is None:
        problem = f"{workspace} is not a Lean workspace (no lean-toolchain file)"
    elif lake is None or lean is None:
        missing = " and ".join(n for n, p in (("lake", lake), ("lean", lean)) if p is None)
        problem = f"{missing} not found on PATH or in {elan_bin_dir(env)}"
    elif not rev:
        problem = f"{workspace}/lake-manifest.json has no mathlib package (dependencies not fetched)"
    elif not mathlib_built(workspace):
        problem = f"Mathlib is not built in {workspace}/.lake (its cache was not fetched)"

    version, source = "", ""
    if probe and lake is not None and pin is not None and workspace.is_dir():
        try:
            out = runner([str(lake), "env", "lean", "--version"], cwd=workspace,
                         capture_output=True, text=True, timeout=timeout,
                         env={**(os.environ if env is None else env), "PATH": search_path(env)})
            found = parse_lean_version((out.stdout or "") + (out.stderr or "")) \
                if out.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            found = None
        if found:
            version, source = found, "lean --version"
        elif problem is None:
            problem = f"`lake env lean --version` failed in {workspace}"
    if not version and pin is not None:
        version, source = version_of_pin(pin), "lean-toolchain"
    if problem is not None:
        problem = f"{problem}: {setup_hint(workspace)}"
    return Toolchain(workspace=workspace, lake=lake, lean=lean, lean_version=version,
                     mathlib_rev=rev, repl_path=repl, ready=problem is None, problem=problem,
                     lean_version_source=source)


def require_toolchain(workspace: Path = DEFAULT_WORKSPACE, *, need_repl: bool = False,
                      **kwargs) -> Toolchain:
    """The toolchain, or one clear AlchemyError naming `alchemy setup-lean`."""
    tc = discover_toolchain(workspace, **kwargs)
    if not tc.ready:
        raise AlchemyError(f"no usable Lean toolchain: {tc.problem}")
    if need_repl and tc.repl_path is None:
        raise AlchemyError(f"the REPL is not built in {tc.workspace}: {setup_hint(tc.workspace)}")
    return tc

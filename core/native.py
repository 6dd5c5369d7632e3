"""Compiled (mypyc) builds of the hot modules, used only while they match the sources.

Why: index matching and mutation are pure-Python tree walks over millions of terms; the
same modules compiled by mypyc (`make native`, `tools/build_native.py`) run the
mutate stage's per-mutant work about a third faster, with byte-identical output.  Why not
compile in place: an extension module beside its `.py` always wins the import, so an
edited source would silently keep running the old compiled code.  The build goes into a
directory of its own (`<repo>/.native`) with a manifest of the sources it was built from,
and a package puts that directory in front of its `__path__` only while every compiled
module's source still hashes to the manifest: all or nothing, because compiled modules
call each other's compiled code directly.

`LEAN_ALCHEMY_NATIVE=0` forces pure Python; `LEAN_ALCHEMY_NATIVE=/some/dir` uses a build
elsewhere.  `native_status()` says which is in use and why (shown by `alchemy --version`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
import warnings
from dataclasses import dataclass
from pathlib import Path

# The compiled modules (dotted names under `lean_alchemy`).  Keep in step with what the
# profile says is hot; every one must type-check under mypy (mypyc compiles from types).
MODULES: tuple[str, ...] = (
    "grammar.printer",
    "grammar.substitute",
    "grammar.walk",
    "index.match.fill",
    "index.match.fresh",
    "index.match.holes",
    "index.match.hints",
    "index.match.matcher",
    "index.match.patterns",
    "index.match.rigid",
    "index.match.results",
    "index.match.rule_index",
    "index.match.tiers",
    "index.match.trie",
    "index.match.unify",
    "index.match.value_checks",
    "index.section_variables",
    "index.typing.apart",
    "index.typing.classes",
    "index.typing.coerce",
    "index.typing.filter",
    "index.typing.horn",
    "index.typing.instance_heads",
    "index.typing.instance_unify",
    "index.typing.infer",
    "index.typing.needs",
    "index.typing.places",
    "index.typing.saturate",
    "index.typing.type_terms",
    "mutate.ascription",
    "mutate.dedup",
    "mutate.fingerprint",
    "mutate.library",
    "mutate.mutator",
    "mutate.name_scope",
    "mutate.naming",
    "mutate.pipeline",
    "mutate.proofs",
    "mutate.render",
    "mutate.statements",
    "mutate.stats",
    "mutate.universes",
    "mutate.workers",
)
MANIFEST = "manifest.json"
RUNTIME = "runtime"  # the build's folder for mypyc's shared runtime module (on sys.path)
ENV = "LEAN_ALCHEMY_NATIVE"
REPO = Path(__file__).resolve().parents[1]


def source_path(module: str) -> Path:
    *packages, name = module.split(".")
    return REPO.joinpath(*packages) / f"{name}.py"


def source_hashes() -> dict[str, str]:
    """sha256 of each compiled module's current source."""
    return {m: hashlib.sha256(source_path(m).read_bytes()).hexdigest() for m in MODULES}


def build_tag() -> str:
    """What an extension module must match: interpreter and platform."""
    return f"{sys.implementation.cache_tag}-{sysconfig.get_platform()}"


@dataclass(frozen=True)
class NativeStatus:
    directory: Path | None  # the build in use, or None for pure Python
    reason: str  # why (for `alchemy --version` and the stale-build warning)


def build_problem(root: Path) -> str | None:
    """Why the build in `root` cannot be used, or None when it was built from exactly the
    current sources for this interpreter (also `tools/build_native.py --if-stale`)."""
    manifest = root / MANIFEST
    if not manifest.exists():
        return "no compiled build: `make native`"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        built = meta["modules"]
        tag = meta["tag"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"{manifest} is unreadable: `make native`"
    if tag != build_tag():
        return f"{root} was built for {tag}, this is {build_tag()}: `make native`"
    if not isinstance(built, dict) or set(built) != set(MODULES):
        # a module dropped from MODULES would otherwise still load from the old build
        return f"{root} compiled other modules than these sources list: `make native`"
    try:
        now = source_hashes()
    except OSError:
        return "sources not found beside the build"
    stale = sorted(m for m in MODULES if built.get(m) != now[m])
    if stale:
        return f"compiled build is stale for {', '.join(stale)}: `make native`"
    return None


def _decide() -> NativeStatus:
    setting = os.environ.get(ENV, "")
    if setting == "0":
        return NativeStatus(None, f"pure Python ({ENV}=0)")
    root = Path(setting) if setting else REPO / ".native"
    problem = build_problem(root)
    if problem is not None:
        return NativeStatus(None, f"pure Python ({problem})")
    return NativeStatus(root, f"compiled ({root})")


_STATUS: NativeStatus | None = None


def native_status() -> NativeStatus:
    """Decided once per process (forked workers inherit it with the modules)."""
    global _STATUS
    if _STATUS is None:
        _STATUS = _decide()
        if _STATUS.directory is None and "stale" in _STATUS.reason:
            warnings.warn(f"lean-alchemy: {_STATUS.reason}", RuntimeWarning, stacklevel=3)
    return _STATUS


def extend_path(package: str, path: list[str]) -> None:
    """Put the compiled build of `package` (e.g. `lean_alchemy.mutate`) in front of its
    `__path__`, so its compiled modules are imported instead of their sources; the others
    are still found in the source directory behind it."""
    root = native_status().directory
    if root is None:
        return
    sub = root.joinpath(*package.split("."))
    if sub.is_dir() and str(sub) not in path:
        path.insert(0, str(sub))
    # mypyc's shared runtime module, imported by its top-level name.  Only that folder goes
    # on sys.path: the build root would make its `lean_alchemy/` a namespace portion that
    # shadows the real packages.
    runtime = str(root / RUNTIME)
    if runtime not in sys.path:
        sys.path.append(runtime)

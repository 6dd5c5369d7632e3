"""Find the Lean files of a project and name their modules.

Why this is more than `rglob`: a Lake root holds build products (`.lake/`, with copies of
every dependency's sources) and sometimes several libraries; walking all of it would extract
Mathlib twice.  The `lean_lib` declarations of the lakefile say which folders are the
project's own sources.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lean_alchemy.core.errors import AlchemyError

LAKEFILES = ("lakefile.lean", "lakefile.toml")
_SKIP_DIRS = {".lake", ".git", "lake-packages", "build", ".github"}
_LEAN_LIB = re.compile(r"^\s*lean_lib\s+(«[^»]+»|[\w.']+)", re.M)
_SRC_DIR = re.compile(r"srcDir\s*:=\s*\"([^\"]*)\"")


@dataclass(frozen=True)
class Project:
    """A Lean project: `root` is where module paths start, `files` are absolute paths."""

    root: Path
    files: tuple[Path, ...]
    libraries: tuple[str, ...]
    is_lake: bool


def lakefile_libraries(root: Path) -> tuple[tuple[str, ...], Path]:
    """`lean_lib` names declared in the lakefile, and the source dir they live in."""
    toml = root / "lakefile.toml"
    lean = root / "lakefile.lean"
    if toml.is_file():
        try:
            data = tomllib.loads(toml.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise AlchemyError(f"{toml}: cannot read the lakefile: {e}") from e
        libs = data.get("lean_lib", [])
        names = tuple(str(l["name"]) for l in libs if isinstance(l, dict) and "name" in l)
        src = next((l.get("srcDir") for l in libs if isinstance(l, dict) and l.get("srcDir")),
                   None) or data.get("srcDir")
        return names, root / src if src else root
    if lean.is_file():
        text = lean.read_text(encoding="utf-8", errors="replace")
        names = tuple(n.strip("«»") for n in _LEAN_LIB.findall(text))
        m = _SRC_DIR.search(text)
        return names, root / m.group(1) if m else root
    return (), root


def _walk(folder: Path) -> list[Path]:
    out: list[Path] = []
    for p in folder.rglob("*.lean"):
        rel = p.relative_to(folder).parts
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel[:-1]):
            continue
        if len(rel) == 1 and p.name in LAKEFILES:
            continue
        out.append(p)
    return out


def find_project(src: Path, libraries: tuple[str, ...] = ()) -> Project:
    """Resolve `src` to a project; an AlchemyError when it holds no Lean sources."""
    src = Path(src)
    if not src.exists():
        raise AlchemyError(f"{src}: no such file or directory")
    if src.is_file():
        if src.suffix != ".lean":
            raise AlchemyError(f"{src}: not a Lean file or project directory")
        return Project(src.parent.resolve(), (src.resolve(),), (), False)
    root = src.resolve()
    is_lake = any((root / f).is_file() for f in (*LAKEFILES, "lake-manifest.json"))
    declared, src_dir = lakefile_libraries(root)
    wanted = libraries or declared
    files: list[Path] = []
    if wanted:
        base = src_dir if src_dir.is_dir() else root
        for lib in wanted:
            rel = Path(*lib.split(".")) if "/" not in lib else Path(lib)
            folder, single = base / rel, (base / rel).with_suffix(".lean")
            found = False
            if folder.is_dir():
                files.extend(_walk(folder))
                found = True
            if single.is_file():
                files.append(single)
                found = True
            if not found and libraries:
                raise AlchemyError(f"{src}: library {lib!r} not found (expected {folder}/ or "
                                   f"{single.name})")
        root = base
    if not files:
        files = _walk(root)
    if not files:
        raise AlchemyError(f"{src}: not a Lean project (no .lean files found)")
    files = sorted(set(files))
    return Project(root, tuple(files), tuple(wanted), is_lake)

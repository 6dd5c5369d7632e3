"""The run directory: where every stage reads its inputs and writes its outputs.

A run can be stopped, inspected and resumed because each stage's output lives at a fixed
path here, written atomically (temp file + rename), so a killed process never leaves a
half-written file that a later stage would trust.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import AlchemyError

DEFAULT_RUN_DIR = "alchemy-run"


def tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("lean-alchemy")
    except Exception:  # running from a source tree without installation
        return "0.0.0+unknown"


@dataclass(frozen=True)
class RunDir:
    root: Path

    @classmethod
    def at(cls, path: str | os.PathLike[str] | None) -> "RunDir":
        """The run directory at `path` (default ./alchemy-run); a file there is one error."""
        root = Path(path or DEFAULT_RUN_DIR)
        if root.exists() and not root.is_dir():
            raise AlchemyError(f"{root} is a file, not a run directory: pass --run-dir with a "
                               f"directory (it is created if missing)")
        return cls(root)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def declarations(self) -> Path:
        return self.root / "declarations.parquet"

    @property
    def scopes(self) -> Path:
        return self.root / "scopes.parquet"

    @property
    def failures(self) -> Path:
        return self.root / "extract.failures.parquet"

    @property
    def notations(self) -> Path:
        """Syntax-declaring commands and their tokens (`core.records.NotationDecl`)."""
        return self.root / "notations.parquet"

    @property
    def rules(self) -> Path:
        return self.root / "rules.parquet"

    @property
    def written_names(self) -> Path:
        """Full names the library writes but does not declare, one a line (index stage,
        `index.names.written_external_names`); the mutation stage resolves with them."""
        return self.root / "written_names.txt"

    @property
    def section_binders(self) -> Path:
        """Parsed section `variable` binders by scope (index stage, `index/sections.py`)."""
        return self.root / "section_binders.parquet"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def db(self) -> Path:
        return self.root / "run.sqlite"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db.resolve()}"

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def unchecked_dir(self) -> Path:
        return self.root / "unchecked"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def stats_path(self, stage: str) -> Path:
        return self.root / f"{stage}.stats.json"

    def ensure(self) -> "RunDir":
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def require(self, path: Path, step: str) -> Path:
        """Fail with the name of the stage that produces `path` when it is missing."""
        if not path.exists():
            raise AlchemyError(
                f"{path} does not exist: run `alchemy {step} --run-dir {self.root}` first")
        return path

    def write_stats(self, stage: str, stats: dict) -> Path:
        stats = dict(stats)
        stats.setdefault("versions", versions())
        return atomic_write_text(self.stats_path(stage), json.dumps(stats, indent=2, sort_keys=True,
                                                                    ensure_ascii=False) + "\n")

    def read_stats(self, stage: str) -> dict | None:
        p = self.stats_path(stage)
        return json.loads(p.read_text()) if p.exists() else None


def versions() -> dict[str, str]:
    """What produced a stage's outputs; `build` says whether the compiled modules ran
    (`core/native.py`: same output either way, different speed)."""
    from lean_alchemy.core.native import native_status

    build = "compiled" if native_status().directory is not None else "pure"
    return {"tool": tool_version(), "python": platform.python_version(), "build": build}


def atomic_write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_target(path: Path) -> Path:
    """A temporary sibling path to write to before `os.replace(tmp, path)`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.tmp")

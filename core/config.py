"""The TOML configuration of a run: one table per stage, validated against the stage's options.

Why generic: every stage already declares its knobs as a frozen `*Options` dataclass with
defaults; the config file is just those dataclasses written as TOML tables.  Validating
against the dataclass fields (names and annotated types) means an unknown key or a wrong
type is reported with its exact name, and a new stage knob is configurable the moment it is
added to the dataclass.  The effective configuration is written back to the run directory so
a run can always be reproduced.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from .errors import AlchemyError

# section -> "module:DataclassName".  Imported lazily: loading a config must not import Lark,
# pyarrow and SQLAlchemy at once.
SECTIONS: dict[str, str] = {
    "extract": "lean_alchemy.extract.options:ExtractOptions",
    "index": "lean_alchemy.index.options:IndexOptions",
    "mutate": "lean_alchemy.mutate.options:MutateOptions",
    "refute": "lean_alchemy.mutate.refute.options:RefuteOptions",
    "check": "lean_alchemy.jobs.options:CheckOptions",
    "corpus": "lean_alchemy.corpus.options:CorpusOptions",
}


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The `[run]` table: what to read and where to write."""

    src: str = "lean_workspace"  # the Lean project to read (a Lake root, a folder of .lean files)
    run_dir: str = "alchemy-run"  # where every stage writes (see "The run directory")
    stop_after: str = ""  # "", or a stage name: extract|index|mutate|check|corpus


def options_class(section: str) -> type:
    if section == "run":
        return RunOptions
    mod, _, name = SECTIONS[section].partition(":")
    return getattr(importlib.import_module(mod), name)


@dataclasses.dataclass(frozen=True)
class Config:
    """Validated options for every section (each a frozen dataclass instance)."""

    sections: dict[str, Any]

    def __getitem__(self, section: str) -> Any:
        return self.sections[section]

    def replace(self, section: str, **changes: Any) -> "Config":
        """A copy with CLI overrides applied to one section (validated like the file)."""
        cls = options_class(section)
        hints = typing.get_type_hints(cls)
        clean = {}
        for key, value in changes.items():
            if value is None:
                continue
            if key not in hints:
                raise AlchemyError(f"unknown option [{section}] {key}")
            clean[key] = _coerce(value, hints[key], f"[{section}] {key}")
        new = dict(self.sections)
        new[section] = dataclasses.replace(self.sections[section], **clean)
        return Config(new)

    def to_toml(self) -> str:
        out = ["# Effective configuration of this run (defaults, config file, then CLI flags).", ""]
        for section, opts in self.sections.items():
            out.append(f"[{section}]")
            for f in dataclasses.fields(opts):
                value = getattr(opts, f.name)
                if value is None:  # TOML has no null: leave the key out so it stays unset
                    out.append(f"# {f.name}: unset")
                else:
                    out.append(f"{f.name} = {_toml_value(value)}")
            out.append("")
        return "\n".join(out)


def load_config(path: Path | None, sections: tuple[str, ...] | None = None) -> Config:
    """Defaults for every section, overridden by the TOML file at `path` (if given)."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AlchemyError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise AlchemyError(f"{path}: not valid TOML: {e}") from None
    names = ("run",) + tuple(SECTIONS) if sections is None else sections
    where = str(path) if path else "config"
    for key in data:
        if key not in names:
            raise AlchemyError(f"{where}: unknown section [{key}]; known: {', '.join(names)}")
    result = {}
    for section in names:
        cls = options_class(section)
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise AlchemyError(f"{where}: [{section}] must be a table")
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for key, value in table.items():
            if key not in hints:
                known = ", ".join(f.name for f in dataclasses.fields(cls))
                raise AlchemyError(f"{where}: unknown key [{section}] {key}; known keys: {known}")
            kwargs[key] = _coerce(value, hints[key], f"{where}: [{section}] {key}")
        result[section] = cls(**kwargs)
    return Config(result)


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check `value` against annotation `tp`, converting lists to tuples and str to Path."""
    origin = get_origin(tp)
    args = get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, where)
            except AlchemyError as e:
                errors.append(str(e))
        raise AlchemyError(errors[0] if errors else f"{where}: unexpected value {value!r}")
    if origin is Literal:
        if value not in args:
            raise AlchemyError(f"{where}: must be one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin in (tuple, list, frozenset, set):
        if not isinstance(value, (list, tuple)):
            raise AlchemyError(f"{where}: must be a list, got {type(value).__name__}")
        item_tp = args[0] if args else Any
        items = [_coerce(v, item_tp, where) for v in value]
        return tuple(items) if origin is tuple else origin(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise AlchemyError(f"{where}: must be a table, got {type(value).__name__}")
        return {str(k): _coerce(v, args[1] if args else Any, where) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise AlchemyError(f"{where}: must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise AlchemyError(f"{where}: must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AlchemyError(f"{where}: must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise AlchemyError(f"{where}: must be a string, got {value!r}")
        return value
    if tp is Path:
        if not isinstance(value, (str, Path)):
            raise AlchemyError(f"{where}: must be a path string, got {value!r}")
        return Path(value)
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise AlchemyError(f"{where}: unsupported value {value!r} for type {tp}")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int,)):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v) or math.isnan(v):
            return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
        return repr(v)
    if isinstance(v, Path):
        v = str(v)
    if isinstance(v, str):
        esc = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{esc}"'
    if isinstance(v, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"
    return _toml_value(str(v))

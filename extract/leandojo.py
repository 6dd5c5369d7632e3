"""`alchemy extract --from-leandojo PATH`: LeanDojo data as a second extraction source.

Why: LeanDojo traces carry what reading sources cannot know: each theorem's elaborated
initial goal (every hypothesis with its type, section variables included, and the `⊢`
conclusion) and the exact premises each tactic used.  Many teams already hold LeanDojo
Benchmark 4 files or traced repositories; reading them gives declaration records with the
same shape as source extraction (so every later stage runs on them unchanged) plus
proof-use edges for the dependency graph, and, when a source tree is also given, an
agreement report between the two readings.

Accepted inputs:
* a LeanDojo Benchmark 4 directory: JSON files holding lists of
  `{url, commit, file_path, full_name, start, end, traced_tactics: [{tactic,
  annotated_tactic: [text with <a>premise</a> markup, [{full_name, def_path, def_pos,
  def_end_pos}]], state_before, state_after}]}` (e.g. `random/train.json`), plus
  `corpus.jsonl` (one file per line: `{path, imports, premises: [{full_name, code, start,
  end, kind}]}`); a single such JSON file is accepted too;
* a traced repository (`*.trace.xml` files written by LeanDojo), loaded with
  `lean_dojo.TracedRepo.load_from_disk` (optional extra `leandojo`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, ExtractFailure, Scope
from lean_alchemy.core.rundir import RunDir

from .goal_state import (
    StateError, demangle, statement_from_state, strip_markup, universe_names,
)
from .leandojo_agreement import SourceTree, agreement, read_source_tree, source_binders
from .options import ExtractOptions
from .pipeline import annotate_declarations
from .stats import LeanDojoStats
from .store import write_declarations, write_failures, write_parquet, write_scopes

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'lean-alchemy[leandojo]'"
REQUIRED_KEYS = ("url", "commit", "file_path", "full_name", "start", "end", "traced_tactics")
TACTIC_KEYS = ("tactic", "annotated_tactic", "state_before", "state_after")
SKIP_JSON = {"metadata.json", "lake-manifest.json", "package.json", "package-lock.json"}
TRACE_DIRS = (".lake/build/ir", "build/ir")  # where LeanDojo writes *.trace.xml

PREMISE_SCHEMA = pa.schema([
    ("theorem", pa.string()),  # full name of the theorem whose proof uses the premise
    ("premise", pa.string()),  # full name of the premise
    ("written", pa.string()),  # the premise as written in the tactic (inside <a>...</a>)
    ("def_path", pa.string()),  # file defining the premise
    ("def_line", pa.int32()), ("def_col", pa.int32()),
    ("def_end_line", pa.int32()), ("def_end_col", pa.int32()),
    ("tactic_index", pa.int32()),  # position of the tactic in traced_tactics
    ("file", pa.string()),  # file of the theorem
    ("source", pa.string()),  # "leandojo"
])


# ------------------------------------------------------------------ reading the files


@dataclass(frozen=True)
class FormatError:
    file: str
    index: int  # index of the first bad record in the file's list (-1: the whole file)
    name: str | None
    reason: str
    bad_records: int = 1

    def message(self) -> str:
        where = "the file" if self.index < 0 else (
            f"record #{self.index}" + (f" ({self.name})" if self.name else ""))
        more = f" ({self.bad_records - 1} more bad records skipped)" if self.bad_records > 1 else ""
        return f"{self.file}: {where} does not match the LeanDojo Benchmark 4 format: " \
               f"{self.reason}{more}"


def _pos(value: Any) -> tuple[int, int] | None:
    """A position as LeanDojo writes it: [line, col], (line, col), 'Pos(line, col)'."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(?:Pos)?\(?\s*(\d+)\s*,\s*(\d+)\s*\)?\s*", value)
        if m:
            return int(m.group(1)), int(m.group(2))
    line = getattr(value, "line_nb", None)
    col = getattr(value, "column_nb", None)
    if isinstance(line, int) and isinstance(col, int):
        return line, col
    return None


def record_problem(rec: Any) -> str | None:
    """Why `rec` is not a Benchmark 4 theorem record (None if it is)."""
    if not isinstance(rec, dict):
        return f"expected an object, got {type(rec).__name__}"
    for k in REQUIRED_KEYS:
        if k not in rec:
            return f"missing key {k!r}"
    for k in ("url", "commit", "file_path", "full_name"):
        if not isinstance(rec[k], str) or (k in ("file_path", "full_name") and not rec[k]):
            return f"{k!r} must be a non-empty string"
    if not rec["file_path"].endswith(".lean"):
        return f"'file_path' is not a .lean file: {rec['file_path']!r}"
    for k in ("start", "end"):
        if _pos(rec[k]) is None:
            return f"{k!r} must be [line, column], got {rec[k]!r}"
    tacs = rec["traced_tactics"]
    if not isinstance(tacs, list):
        return "'traced_tactics' must be a list"
    for i, t in enumerate(tacs):
        if not isinstance(t, dict):
            return f"traced_tactics[{i}] is not an object"
        for k in TACTIC_KEYS:
            if k not in t:
                return f"traced_tactics[{i}] misses {k!r}"
        for k in ("tactic", "state_before", "state_after"):
            if not isinstance(t[k], str):
                return f"traced_tactics[{i}].{k} must be a string"
        ann = t["annotated_tactic"]
        if not (isinstance(ann, list) and len(ann) == 2 and isinstance(ann[0], str)
                and isinstance(ann[1], list)):
            return f"traced_tactics[{i}].annotated_tactic must be [text, [provenances]]"
        for j, p in enumerate(ann[1]):
            if not isinstance(p, dict) or not isinstance(p.get("full_name"), str):
                return f"traced_tactics[{i}].annotated_tactic provenance #{j} has no full_name"
    return None


@dataclass
class Loaded:
    records: list[dict]
    errors: list[FormatError]
    files: int
    duplicates: int
    corpus: dict[str, dict]


def benchmark_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.json")
                  if p.name not in SKIP_JSON and ".lake" not in p.parts and ".git" not in p.parts)


def read_json_file(f: Path, rel: str) -> tuple[list[dict], FormatError | None]:
    """The valid records of one file and the error describing its first bad record."""
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        return [], FormatError(rel, -1, None, f"cannot read: {e}")
    except json.JSONDecodeError as e:
        return [], FormatError(rel, -1, None, f"invalid JSON at line {e.lineno} column {e.colno}:"
                                              f" {e.msg}")
    if isinstance(data, dict) and isinstance(data.get("theorems"), list):
        data = data["theorems"]
    if not isinstance(data, list):
        return [], FormatError(rel, -1, None, f"the top-level value is a {type(data).__name__}, "
                                              "expected a list of theorem records")
    good: list[dict] = []
    first: FormatError | None = None
    bad = 0
    for i, rec in enumerate(data):
        problem = record_problem(rec)
        if problem is None:
            good.append(rec)
            continue
        bad += 1
        if first is None:
            name = rec.get("full_name") if isinstance(rec, dict) else None
            first = FormatError(rel, i, name if isinstance(name, str) else None, problem)
    if first is not None:
        first = replace(first, bad_records=bad)
    return good, first


def read_corpus(path: Path) -> tuple[dict[str, dict], list[FormatError]]:
    """corpus.jsonl: file path -> {imports, premises}; bad lines are reported, not fatal."""
    out: dict[str, dict] = {}
    errors: list[FormatError] = []
    if not path.is_file():
        return out, errors
    first: FormatError | None = None
    bad = 0
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict) or not isinstance(obj.get("path"), str) or \
                        not isinstance(obj.get("premises", []), list):
                    raise ValueError("expected {path, imports, premises}")
            except ValueError as e:
                bad += 1
                first = first or FormatError(path.name, lineno, None, f"line {lineno}: {e}")
                continue
            out[obj["path"]] = obj
    if first:
        errors.append(replace(first, bad_records=bad))
    return out, errors


def load_benchmark(path: Path) -> Loaded:
    path = Path(path)
    base = path if path.is_dir() else path.parent
    records: list[dict] = []
    errors: list[FormatError] = []
    seen: set[tuple[str, str, tuple[int, int] | None]] = set()
    dup = 0
    files = benchmark_files(path)
    for f in files:
        good, err = read_json_file(f, f.relative_to(base).as_posix())
        if err:
            log.error("%s", err.message())
            errors.append(err)
        for rec in good:
            key = (rec["full_name"], rec["file_path"], _pos(rec["start"]))
            if key in seen:  # the same theorem appears in several splits
                dup += 1
                continue
            seen.add(key)
            records.append(rec)
    corpus, cerrs = read_corpus(base / "corpus.jsonl")
    for e in cerrs:
        log.error("%s", e.message())
    return Loaded(records, errors + cerrs, len(files), dup, corpus)


def load_traced_repo(path: Path) -> Loaded:
    """A traced repository through lean-dojo's own loader, converted to Benchmark records."""
    try:
        # lazy: the optional `leandojo` extra, needed only for traced repositories
        from lean_dojo import TracedRepo  # type: ignore[import-not-found]
    except ImportError:
        raise AlchemyError(f"{path} is a LeanDojo traced repository; reading it needs the "
                           f"`lean-dojo` package: {INSTALL_HINT}") from None
    try:
        repo = TracedRepo.load_from_disk(Path(path), build_deps=False)
    except Exception as e:  # lean-dojo raises RuntimeError/AssertionError on bad trees
        raise AlchemyError(f"lean-dojo could not load the traced repository {path}: "
                           f"{type(e).__name__}: {e}") from None
    return Loaded(list(traced_repo_records(repo)), [], 0, 0, {})


def traced_repo_records(repo: Any) -> Iterator[dict]:
    """Benchmark-4-shaped dicts from a `lean_dojo.TracedRepo` (the same fields its
    benchmark export writes)."""
    url = getattr(getattr(repo, "repo", None), "url", "")
    commit = getattr(getattr(repo, "repo", None), "commit", "")
    for thm in repo.get_traced_theorems():
        tactics = []
        for t in thm.get_traced_tactics():
            text, provs = t.get_annotated_tactic()
            tactics.append({"tactic": t.tactic, "annotated_tactic": [text, list(provs)],
                            "state_before": t.state_before, "state_after": t.state_after})
        start, end = _pos(thm.start), _pos(thm.end)
        yield {"url": url, "commit": commit, "file_path": str(thm.file_path),
               "full_name": thm.theorem.full_name, "start": list(start or (0, 0)),
               "end": list(end or (0, 0)), "traced_tactics": tactics}


def is_traced_repo(path: Path, *, quick: bool = False) -> bool:
    """`*.trace.xml` files under the build directory (quick) or anywhere."""
    if not path.is_dir():
        return False
    roots = [path / d for d in TRACE_DIRS] if quick else [path]
    return any(r.is_dir() and next(r.rglob("*.trace.xml"), None) is not None for r in roots)


def load(path: Path) -> Loaded:
    path = Path(path)
    if not path.exists():
        raise AlchemyError(f"{path}: no such file or directory")
    if path.is_file():
        return load_benchmark(path)
    if is_traced_repo(path, quick=True):
        return load_traced_repo(path)
    if benchmark_files(path):
        return load_benchmark(path)
    if is_traced_repo(path):
        return load_traced_repo(path)
    raise AlchemyError(f"{path} holds no LeanDojo data: expected Benchmark 4 JSON files "
                       "(e.g. random/train.json with corpus.jsonl) or a traced repository "
                       "(*.trace.xml files)")


# ------------------------------------------------------------------ records


def module_of(file_path: str) -> str:
    p = Path(file_path)
    return ".".join(p.with_suffix("").parts)


def generated_scope(module: str, full_name: str, texts: Iterable[str]) -> Scope:
    """A scope for a theorem known only from LeanDojo: import its module, reopen its
    namespace (pretty-printed goals use names relative to it) and declare the universe
    levels its goal mentions."""
    parts = full_name.split(".")[:-1]
    commands: list[tuple[str, str]] = []
    if parts:
        commands.append(("namespace", "namespace " + ".".join(parts)))
    levels = universe_names(texts)
    if levels:
        commands.append(("universe", "universe " + " ".join(levels)))
    return Scope(module=module, imports=(module,), namespaces=tuple(parts),
                 commands=tuple(commands))


_VARIABLE_KINDS = ("variable", "include", "omit")


def without_variables(scope: Scope) -> Scope:
    """`scope` without its `variable`/`include`/`omit` commands."""
    if not any(k in _VARIABLE_KINDS for k, _ in scope.commands):
        return scope
    return replace(scope, commands=tuple((k, t) for k, t in scope.commands
                                         if k not in _VARIABLE_KINDS))


def premise_rows(rec: dict) -> list[dict]:
    rows = []
    for i, t in enumerate(rec["traced_tactics"]):
        text, provs = t["annotated_tactic"]
        _, written = strip_markup(text)
        for j, p in enumerate(provs):
            dp, de = _pos(p.get("def_pos")), _pos(p.get("def_end_pos"))
            rows.append({
                "theorem": demangle(rec["full_name"])[0], "premise": demangle(p["full_name"])[0],
                "written": written[j] if j < len(written) else None,
                "def_path": p.get("def_path") if isinstance(p.get("def_path"), str) else None,
                "def_line": dp[0] if dp else None, "def_col": dp[1] if dp else None,
                "def_end_line": de[0] if de else None, "def_end_col": de[1] if de else None,
                "tactic_index": i, "file": rec["file_path"], "source": "leandojo"})
    return rows


@dataclass(frozen=True)
class Converted:
    decl: Declaration | None
    scope: Scope | None
    failure: ExtractFailure | None
    statement_origin: str = ""  # "state" | "source" ("" on failure)


def to_declaration(rec: dict, src: Declaration | None, src_scope: Scope | None) -> Converted:
    """One Benchmark record -> its record and scope, or a failure.

    The statement comes from the first `state_before`; without traced tactics the source
    statement is kept when the source tree has the theorem, else the record fails with
    "no statement".  Everything LeanDojo does not carry (proof text, docstring, attributes,
    modifiers, byte span, scope) comes from the source tree when it has the theorem.
    """
    file = rec["file_path"]
    start, end = _pos(rec["start"]) or (0, 0), _pos(rec["end"]) or (0, 0)
    full, private = demangle(rec["full_name"])
    tactics = rec["traced_tactics"]
    module = module_of(file)
    from_source = False
    # The first state is the theorem's initial goal only when the proof starts with `by`;
    # a term or equation proof with a nested `by` starts inside a subgoal.
    trust_state = bool(tactics) and (src is None or src.proof_style in ("tactic", None))
    if trust_state:
        kinds = {b.name: b.kind for b in source_binders(src, src_scope) if b.name} \
            if src else None
        try:
            binders, conclusion = statement_from_state(tactics[0]["state_before"], kinds)
        except StateError as e:
            if src is None:
                return Converted(None, None, ExtractFailure(file, start[0], "leandojo state",
                                                            f"{full}: {e}"))
            binders, conclusion, from_source = src.binders, src.conclusion, True
    elif src is not None:
        binders, conclusion, from_source = src.binders, src.conclusion, True
    else:
        return Converted(None, None, ExtractFailure(
            file, start[0], "no statement", f"{full}: no traced tactics and no source tree entry"))
    if src_scope is not None:
        # An elaborated goal already lists every section variable the theorem uses; keeping
        # the `variable` commands would make later stages add them a second time.
        scope = src_scope if from_source else without_variables(src_scope)
    else:
        scope = generated_scope(module, full, [conclusion or ""] + [b.type or "" for b in binders])
    short = full.rsplit(".", 1)[-1] if "." in full else full
    decl = Declaration(
        full_name=full, name=src.name if src else short, kind=src.kind if src else "theorem",
        module=module, file=file, start_line=start[0], end_line=end[0],
        start_byte=src.start_byte if src else 0, end_byte=src.end_byte if src else 0,
        modifiers=src.modifiers if src else (("private",) if private else ()),
        attributes=src.attributes if src else (),
        docstring=src.docstring if src else None, binders=binders, conclusion=conclusion,
        proof=src.proof if src else None, proof_style=src.proof_style if src else None,
        scope_id=scope.id, source="leandojo")
    return Converted(decl, scope, None, "source" if from_source else "state")


# ------------------------------------------------------------------ the stage


def premises_path(run: RunDir) -> Path:
    return run.root / "premises.parquet"


@dataclass
class ConvertedRecords:
    """The records read from LeanDojo data (before parsing), with what became of them."""

    decls: list[Declaration]
    scopes: dict[str, Scope]
    failures: list[ExtractFailure]
    premises: list[dict]
    ld_files_by_name: dict[str, str]  # every LeanDojo theorem's file, records or not
    from_state: int = 0  # statements read off the goal state
    from_source: int = 0  # statements kept from the source tree


def convert_records(loaded: Loaded, tree: SourceTree | None) -> ConvertedRecords:
    out = ConvertedRecords([], {}, [ExtractFailure(e.file, 0, "leandojo format", e.message())
                             for e in loaded.errors], [], {})
    for rec in loaded.records:
        name = demangle(rec["full_name"])[0]
        out.ld_files_by_name.setdefault(name, rec["file_path"])
        src = tree.candidates.get(name) if tree else None
        src_scope = tree.scopes.get(src.scope_id or "") if (tree and src) else None
        conv = to_declaration(rec, src, src_scope)
        out.premises.extend(premise_rows(rec))
        if conv.failure is not None:
            out.failures.append(conv.failure)
            continue
        assert conv.decl is not None and conv.scope is not None
        if conv.statement_origin == "source":
            out.from_source += 1
        else:
            out.from_state += 1
        out.decls.append(conv.decl)
        out.scopes.setdefault(conv.scope.id, conv.scope)
    return out


def run_extract_leandojo(path: Path, run: RunDir, opts: ExtractOptions = ExtractOptions(),
                         source_tree: Path | None = None) -> LeanDojoStats:
    """Read LeanDojo data at `path` into `run` (declarations, scopes, failures, premises).

    Returns the stats also written to `extract.stats.json` and `leandojo.stats.json` (with
    the agreement report).  Malformed files/records are reported (one error per file
    naming its first bad record) and skipped; the rest is read.  Raises AlchemyError when
    nothing usable was found.
    """
    t0 = time.perf_counter()
    loaded = load(Path(path))
    tree = read_source_tree(source_tree, opts) if source_tree is not None else None
    conv = convert_records(loaded, tree)
    if not conv.decls and loaded.errors:
        raise AlchemyError(loaded.errors[0].message() +
                           ("" if len(loaded.errors) == 1 else
                            f" (and {len(loaded.errors) - 1} more files with errors)") +
                           "; no usable LeanDojo records were found")
    decls = annotate_declarations(conv.decls, conv.scopes) if opts.parse else conv.decls
    report = agreement({d.full_name: d for d in decls}, conv.ld_files_by_name, tree) \
        if tree else None
    others = tree.others if tree else []
    run.ensure()
    write_declarations(run, decls + others)
    write_scopes(run, list(conv.scopes.values()))
    write_failures(run, conv.failures)
    _write_premises(premises_path(run), conv.premises)
    stats = LeanDojoStats(
        files=loaded.files, theorems=len(decls), scope_ids=set(conv.scopes),
        parse=opts.parse, leandojo_path=str(Path(path).resolve()),
        source_tree=str(Path(source_tree).resolve()) if source_tree else None,
        records=len(loaded.records), duplicates_skipped=loaded.duplicates,
        statements_from_state=conv.from_state, statements_from_source=conv.from_source,
        premise_edges=len(conv.premises), corpus_files=len(loaded.corpus),
        corpus_premises=sum(len(v.get("premises", [])) for v in loaded.corpus.values()),
        format_errors=[e.message() for e in loaded.errors], agreement=report)
    stats.declarations_by_kind.update(d.kind for d in decls + others)
    stats.failures_by_reason.update(f.reason for f in conv.failures)
    stats.parse_status.update(d.parse_status for d in decls)
    stats.seconds = round(time.perf_counter() - t0, 2)
    run.write_stats("extract", stats.as_dict())
    run.write_stats("leandojo", {**stats.as_dict(), "agreement": report})
    return stats


def _write_premises(path: Path, rows: list[dict]) -> Path:
    table = pa.Table.from_pylist(rows, schema=PREMISE_SCHEMA) if rows else \
        PREMISE_SCHEMA.empty_table()
    return write_parquet(path, table)


def read_premises(run: RunDir | Path) -> pa.Table:
    p = premises_path(run) if isinstance(run, RunDir) else Path(run)
    return pq.read_table(p, schema=PREMISE_SCHEMA)

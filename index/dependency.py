"""Rules, names and notations of a dependency, read from its finished run directory.

Why: most Lean projects import Mathlib rather than being Mathlib.  Their theorems are
mutated with Mathlib's lemmas, which `alchemy index --rules-from RUN` takes from a finished
run of the dependency (`RUN/rules.parquet`, `declarations.parquet`, `notations.parquet`)
instead of deriving them again: the dependency's rules were already filtered there (no
unproved lemma, no misread statement), and its names are what the project's identifiers
resolve against besides its own.

Only the rules that can fire in the project are compiled into the rule index
(`relevant_rules`): a rule is retrieved from the trie only when every constant of its
pattern occurs, by its last component, in the candidate's statement (`index.match.patterns
.pattern_symbols`), so a rule whose constants the project never writes cannot match, and
compiling it (most of Mathlib's 240k rules) would only cost time.  Those constants and the
trie keys come from the dependency's `rules.arrow` (`index.rule_keys`), stored by its own
index, so that the filter runs in Arrow, no pattern is parsed here and only the rows of the
rules compiled are decoded.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, NotationDecl, Rule, Scope
from lean_alchemy.core.rundir import RunDir, atomic_write_text
from lean_alchemy.extract.store import read_notations, read_scopes
from lean_alchemy.index.match.lazy_leaf import PendingRule
from lean_alchemy.index.match.patterns import NUMBER_TYPES
from lean_alchemy.index.rule_keys import FILE as RULE_KEYS_FILE
from lean_alchemy.index.rule_keys import pattern_constants, read_rule_keys
from lean_alchemy.index.store import RULE_SCHEMA

DEPENDENCIES_FILE = "dependencies.json"  # what `alchemy index --rules-from` used, for mutate
_RULE_TUPLES = ("pattern_vars", "binder_names", "binder_kinds", "binder_types",
                "side_conditions", "antecedents")
_WORD = re.compile(r"[^\W\d][\w'!?]*")
log = logging.getLogger(__name__)


class NameKind(NamedTuple):
    """A dependency declaration as name resolution and `rigid_names` see it."""

    full_name: str
    kind: str

    @property
    def is_candidate(self) -> bool:
        return self.kind in ("theorem", "lemma")


@dataclass(frozen=True)
class Dependency:
    """A finished run of a library the project imports (see the module doc)."""

    library: str  # e.g. "Mathlib": the first component of most of its modules
    run_dir: Path
    names: tuple[NameKind, ...]
    protected: frozenset[str]
    notations: tuple[NotationDecl, ...]
    rules_total: int  # rules in the dependency's run (before `relevant_rules`)


def open_run(path: str | Path) -> RunDir:
    """The dependency's run directory, or one error naming what it lacks."""
    p = Path(path)
    if not p.is_dir():
        raise AlchemyError(f"--rules-from {p}: no such run directory (run `alchemy extract "
                           f"LIBRARY --run-dir {p}` and `alchemy index --run-dir {p}` first)")
    run = RunDir.at(p)
    for f, stage in ((run.declarations, "extract"), (run.rules, "index")):
        if not f.exists():
            raise AlchemyError(f"--rules-from {p}: {f.name} is missing; run `alchemy {stage} "
                               f"--run-dir {p}` first")
    return run


def library_name(modules: Iterable[str]) -> str:
    """The name of a library: the most common first component of its module names."""
    counts = Counter(m.split(".", 1)[0] for m in modules if m)
    return counts.most_common(1)[0][0] if counts else ""


def load_dependency(path: str | Path) -> Dependency:
    """Names, protected names and notations of a dependency run (its rules are read by
    `relevant_rules`, only those the project can use)."""
    run = open_run(path)
    t = pq.read_table(run.declarations, columns=["full_name", "kind", "module", "modifiers"])
    names = tuple(NameKind(n, k) for n, k in zip(t.column("full_name").to_pylist(),
                                                 t.column("kind").to_pylist()))
    mods = t.column("modifiers")
    has = pc.list_value_length(mods)
    flat_rows = pc.list_parent_indices(mods)
    flat = pc.list_flatten(mods)
    rows = pc.filter(flat_rows, pc.equal(flat, "protected")).to_pylist() if len(has) else []
    full = t.column("full_name")
    protected = frozenset(full[i].as_py() for i in rows)
    modules = pc.unique(t.column("module")).to_pylist()
    notations = tuple(read_notations(run)) if run.notations.exists() else ()
    n_rules = pq.read_metadata(run.rules).num_rows
    return Dependency(library_name(modules), run.root, names, protected, notations, n_rules)


# --------------------------------------------------------------------------- vocabulary

def statement_words(decls: Iterable[Declaration], scopes: dict[str, Scope] | None = None
                    ) -> frozenset[str]:
    """Every identifier component written in the project's statements and `variable`
    commands: the last components its candidates' patterns can show (with the number
    types' spellings, which the matcher identifies)."""
    words: set[str] = set()
    for d in decls:
        for text in [d.conclusion or ""] + [b.type or "" for b in d.binders]:
            for w in _WORD.findall(text):
                words.add(w)
    for s in (scopes or {}).values():
        for kind, text in s.commands:
            if kind in ("variable", "notation"):
                words.update(_WORD.findall(text))
    parts = {p for w in words for p in w.split(".")}
    groups: dict[str, set[str]] = {}
    for k, v in NUMBER_TYPES.items():
        groups.setdefault(v, set()).update((k, v))
    for g in groups.values():
        if parts & g:
            parts |= g
    return frozenset(parts)


class RuleTable:
    """A dependency's rules table, resident (forked workers share its buffers), from
    which pending rules are decoded a few rows at a time (`lazy_leaf.RuleSource`)."""

    def __init__(self, table: pa.Table) -> None:
        # one chunk: `take` on a table of several chunks costs a pass over all of them,
        # once per leaf compiled
        self.table = table.combine_chunks()

    def rules(self, rows: Sequence[int]) -> list[Rule]:
        return rules_of_table(self.table.take(pa.array(rows, pa.int64())))


def relevant_rules(dep: Dependency, vocabulary: frozenset[str]
                   ) -> tuple[list[PendingRule], int]:
    """The dependency's rules whose pattern constants all occur in `vocabulary`, in the
    dependency's order, each decoded into a `Rule` only when the index first needs it;
    and how many were left out.  The constants and trie keys are those the dependency's
    index stored (`index.rule_keys`); a run indexed without them gets them computed
    here from the patterns, the same but slower (a notice says how to store them)."""
    path = Path(dep.run_dir) / "rules.parquet"
    keys = read_rule_keys(Path(dep.run_dir), pq.read_table(path, columns=["id"]).column("id"))
    if keys is None:
        log.warning("%s has no current %s: computing its rules' keys (run `alchemy index "
                    "--run-dir %s` to store them)", dep.run_dir, RULE_KEYS_FILE, dep.run_dir)
        t = pq.read_table(path)
        return _relevant_rules_computed(t, RuleTable(t), vocabulary)
    t = keys.table
    source = RuleTable(t)
    rows = pc.indices_nonzero(pc.invert(keys.missing_constants(vocabulary)))
    symbols = keys.keys(rows)
    kept = t.select(["id", "kind"]).take(rows)
    out = [PendingRule(i, k, "", (), s, row, source) for i, k, s, row in zip(
        kept.column("id").to_pylist(), kept.column("kind").to_pylist(), symbols,
        rows.to_pylist())]
    return out, t.num_rows - len(out)


def _relevant_rules_computed(t: pa.Table, source: RuleTable, vocabulary: frozenset[str]
                             ) -> tuple[list[PendingRule], int]:
    """`relevant_rules` from the patterns themselves (a run without stored keys)."""
    patterns = t.column("pattern").to_pylist()
    binders = t.column("binder_names").to_pylist()
    pvars = t.column("pattern_vars").to_pylist()
    keep = [i for i, (p, b, v) in enumerate(zip(patterns, binders, pvars))
            if all(c in vocabulary for c in pattern_constants(p, set(b or ()) | set(v or ())))]
    ids = t.column("id").to_pylist()
    kinds = t.column("kind").to_pylist()
    out = [PendingRule(ids[i], kinds[i], patterns[i], tuple(pvars[i] or ()), None, i, source)
           for i in keep]
    return out, t.num_rows - len(keep)


def rules_of_table(t: pa.Table) -> list[Rule]:
    """Rule records of a rules table (`index.store.RULE_SCHEMA`)."""
    cols = {n: t.column(n).to_pylist() for n in RULE_SCHEMA.names}
    for n in _RULE_TUPLES:
        cols[n] = [tuple(x) if x else () for x in cols[n]]
    return [Rule(*row) for row in zip(*cols.values())]


def rules_by_id(run_dir: str | Path, ids: Sequence[str]) -> list[Rule]:
    """The rules of a dependency run with these ids (what a project's invocations use)."""
    path = Path(run_dir) / "rules.parquet"
    if not path.exists():
        raise AlchemyError(f"{path} is missing: the dependency run the index used is gone; "
                           f"index the project again with --rules-from")
    t = pq.read_table(path, filters=[("id", "in", list(ids))]) if ids else None
    return rules_of_table(t) if t is not None else []


def rule_lemma_scopes(run_dir: str | Path, lemmas: Iterable[str]
                      ) -> tuple[dict[str, str], dict[str, Scope]]:
    """(lemma -> scope id, scope id -> Scope) of these lemmas of a dependency run: the
    scopes whose notation a mutant with such a rule needs (`mutate.notation_scope`)."""
    wanted = sorted(set(lemmas))
    run = RunDir.at(run_dir)
    if not wanted:
        return {}, {}
    t = pq.read_table(run.declarations, columns=["full_name", "scope_id"],
                      filters=[("full_name", "in", wanted)])
    scope_of = {n: s or "" for n, s in zip(t.column("full_name").to_pylist(),
                                          t.column("scope_id").to_pylist())}
    scopes = read_scopes(run) if run.scopes.exists() else {}
    used = set(scope_of.values())
    return scope_of, {k: v for k, v in scopes.items() if k in used}


# --------------------------------------------------------------------------- record

def write_dependencies(run: RunDir, entries: list[dict]) -> None:
    """`RUN/dependencies.json`: the dependency runs the index used (library, run
    directory, rules), read by the mutation stage; removed when none was used."""
    path = run.root / DEPENDENCIES_FILE
    if entries:
        atomic_write_text(path, json.dumps(entries, indent=2) + "\n")
    elif path.exists():
        path.unlink()


def read_dependencies(run: RunDir) -> list[dict]:
    """The entries `write_dependencies` stored ([] for a run without dependencies)."""
    path = run.root / DEPENDENCIES_FILE
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise AlchemyError(f"{path} is unreadable ({e}): run `alchemy index` again") from None
    return list(entries)


__all__ = ["DEPENDENCIES_FILE", "NameKind", "Dependency", "open_run", "library_name",
           "load_dependency", "statement_words", "relevant_rules", "rules_of_table",
           "rules_by_id", "rule_lemma_scopes", "write_dependencies", "read_dependencies"]

"""What the mutation stage reads of the dependency runs the index used (`alchemy index
--rules-from`): the rules the invocations name, their libraries, and the scopes and
notations those rules were written with.

Why only those: a project's invocations use a few thousand of Mathlib's 240k rules, and
the rule lemmas' scopes (for the `open scoped` their notation needs) are a handful; reading
the rest would cost the stage seconds for nothing.  A run indexed without dependencies
reads nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from lean_alchemy.core.records import NotationDecl, Rule, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract import store as extract_store
from lean_alchemy.grammar.tokens import TokenTable, build_token_table
from lean_alchemy.index.dependency import read_dependencies, rule_lemma_scopes, rules_by_id
from lean_alchemy.index.store import run_token_table


@dataclass(frozen=True)
class DependencyInputs:
    """Rules of dependencies that the run's invocations use, with their libraries, the
    scopes of their lemmas and the dependencies' notation commands."""

    rules: list[Rule] = field(default_factory=list)
    library: dict[str, str] = field(default_factory=dict)  # rule id -> library
    scope_ids: dict[str, str] = field(default_factory=dict)  # rule lemma -> scope id
    scopes: dict[str, Scope] = field(default_factory=dict)
    notations: tuple[NotationDecl, ...] = ()

    def tokens(self, run: RunDir) -> TokenTable | None:
        """The run's token table, with the dependencies' notations when there are some."""
        if not self.notations:
            return run_token_table(run)
        own = extract_store.read_notations(run) if run.notations.exists() else []
        return build_token_table(list(own) + list(self.notations))


def read_dependency_inputs(run: RunDir, invocations: pa.Table) -> DependencyInputs:
    """The `DependencyInputs` of a run (empty without `RUN/dependencies.json`)."""
    entries = read_dependencies(run)
    if not entries or "library" not in invocations.column_names:
        return DependencyInputs()
    libs = invocations.column("library")
    out = DependencyInputs()
    for entry in entries:
        lib = entry["library"]
        mask = pc.equal(libs, lib)
        ids = pc.unique(pc.filter(invocations.column("rule_id"), mask)).to_pylist()
        rules = rules_by_id(entry["run_dir"], ids)
        out.rules.extend(rules)
        out.library.update((r.id, lib) for r in rules)
        scope_of, scopes = rule_lemma_scopes(entry["run_dir"], (r.lemma for r in rules))
        out.scope_ids.update(scope_of)
        out.scopes.update(scopes)
        dep = RunDir.at(entry["run_dir"])
        if dep.notations.exists():
            object.__setattr__(out, "notations",
                               out.notations + tuple(extract_store.read_notations(dep)))
    return out


__all__ = ["DependencyInputs", "read_dependency_inputs"]

"""Records built from Lean text through the real extractor and grammar: the declarations and
scopes of a snippet, rules written as `theorem lemma binders : lhs = rhs`, invocations located
by the text of the instance they rewrite."""

from __future__ import annotations

import json

from lean_alchemy.core.records import Declaration, Invocation, Rule
from lean_alchemy.grammar.ast import BinderGroup, Term, dumps, free_idents, subterms


def extract(text: str, module: str = "Demo.Basic"):
    """(declarations by short name, scopes by id) of a Lean snippet, parsed by the grammar."""
    from lean_alchemy.extract.fileparse import extract_text
    from lean_alchemy.extract.pipeline import annotate_all

    res = annotate_all(extract_text(text, module=module, file=module.replace(".", "/") + ".lean"))
    decls = {d.name: d for d in res.declarations}
    return decls, {s.id: s for s in res.scopes}


def make_rule(lemma: str, kind: str, binders: str, lhs: str, rhs: str = "",
              direction: str = "fwd", hyps: tuple[str, ...] = (), module: str = "Mathlib.Demo"
              ) -> Rule:
    """A rule as the index would build it from `theorem lemma binders : lhs = rhs`.

    For `imp`, `lhs` is the conclusion and `hyps` the antecedents (also binder types);
    for eq/iff, `hyps` are the side conditions."""
    from lean_alchemy.grammar.parser import parse_binders, parse_term

    groups: tuple[BinderGroup, ...] = tuple(parse_binders(binders)) if binders else ()
    names, kinds, types = [], [], []
    for g in groups:
        for n in (g.names or ("",)):
            names.append(n)
            kinds.append(g.kind)
            types.append(dumps(g.type))
    l, r = parse_term(lhs), parse_term(rhs) if rhs else None
    pattern, replacement = (l, r) if direction == "fwd" else (r, l)
    hyp_asts = tuple(dumps(parse_term(h)) for h in hyps)
    return Rule(
        id=f"{lemma}/{kind}/{direction}", lemma=lemma, kind=kind, direction=direction,
        pattern=dumps(pattern), replacement=dumps(replacement) if replacement else "",
        pattern_vars=tuple(n for n in names if n in free_idents(pattern)),
        binder_names=tuple(names), binder_kinds=tuple(kinds), binder_types=tuple(types),
        side_conditions=hyp_asts if kind != "imp" else (),
        antecedents=hyp_asts if kind == "imp" else (), module=module)


def locate(target: Term, instance: str) -> list[list]:
    """The path of the first occurrence of `instance` (Lean text) in `target`."""
    from lean_alchemy.grammar.parser import parse_term

    want = parse_term(instance)
    for path, t, _ in subterms(target):
        if t == want:
            return [list(p) for p in path]
    raise AssertionError(f"{instance} not found")


def invocation(decl: Declaration, rule: Rule, kind: str, location: str, instance: str,
               subst: dict[str, str]) -> Invocation:
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    if location == "goal":
        target = decl_conclusion(decl)
    else:
        target = next(g.type for g in decl_binders(decl) if location in g.names)
    path = locate(target, instance) if kind != "apply_hyp" else []
    return Invocation(candidate=decl.full_name, rule_id=rule.id, kind=kind, location=location,
                      path=json.dumps(path),
                      subst=tuple((k, dumps(parse_term(v))) for k, v in subst.items()),
                      instance=instance)


def derived_rules(text: str, name: str, stats=None) -> list[Rule]:
    """The rules the index derives from declaration `name` of the Lean snippet `text`,
    its names resolved in its own scope as `alchemy index` resolves them."""
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion, scope_binders
    from lean_alchemy.index.names import NameTable, Resolver, ScopeView
    from lean_alchemy.index.rules import derive_rules

    decls, scopes = extract(text)
    d = decls[name]
    res = Resolver(NameTable.from_declarations(decls.values()))
    scope = scopes[d.scope_id]
    view = ScopeView.of(scope)
    return derive_rules(d, tuple(decl_binders(d)), decl_conclusion(d), stats=stats,
                        section=tuple(scope_binders(scope)),
                        resolve=lambda t, loc: res.resolve_term(t, view, loc))


def extracted_run(root, text: str, path: str = "Demo/Basic.lean"):
    """A run directory `root/run` holding the extraction of one Lean file, written at
    `root/src/path` (its module name follows the path), as `alchemy extract` makes it."""
    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.extract.options import ExtractOptions
    from lean_alchemy.extract.pipeline import run_extract

    from helpers.downstream import write_tree

    src = write_tree(root / "src", {path: text})
    run = RunDir.at(root / "run")
    run_extract(src, run, ExtractOptions(jobs=1, progress=False))
    return run


def indexed_library(root, text: str):  # noqa: ANN201 - index.explain.Library
    """`text` extracted and indexed at the defaults but uncapped, as `alchemy explain`
    reads it."""
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.explain import Library
    from lean_alchemy.index.options import IndexOptions

    run = extracted_run(root, text)
    run_index(run, IndexOptions(jobs=1, max_matches_per_theorem=None))
    return Library(run)


def parsed(text: str) -> Term:
    """The term `text` parses to; a test's own input, so failing to parse is its error."""
    from lean_alchemy.grammar.parser import parse_term

    t = parse_term(text)
    assert t is not None, text
    return t


def goal_rewrite(rule: Rule, subst: dict[str, str], path: list) -> Invocation:
    """An `rw_goal` invocation of `rule` on candidate `Foo.bar`, values written as text."""
    return Invocation(candidate="Foo.bar", rule_id=rule.id, kind="rw_goal", location="goal",
                      path=json.dumps(path),
                      subst=tuple((k, dumps(parsed(v))) for k, v in subst.items()),
                      instance="")


def eq_rule(lemma: str, lhs: str, rhs: str, binders: list[tuple[str, str, str]],
            side: tuple[str, ...] = ()) -> Rule:
    """An `eq` rule `lhs = rhs` built by hand (no derivation) from binders (name, kind,
    type) and side conditions: the mutation engine's input, where a test wants exactly
    these binders."""
    term = parsed
    pattern = term(lhs)
    return Rule(id=f"{lemma}/fwd", lemma=lemma, kind="eq", direction="fwd",
                pattern=dumps(pattern), replacement=dumps(term(rhs)),
                pattern_vars=tuple(n for n, _, _ in binders if n in free_idents(pattern)),
                binder_names=tuple(n for n, _, _ in binders),
                binder_kinds=tuple(k for _, k, _ in binders),
                binder_types=tuple(dumps(term(t)) for _, _, t in binders),
                side_conditions=tuple(dumps(term(c)) for c in side), antecedents=(),
                module="Mathlib.Rules")


def mutant_conclusion(decl, rule, inv) -> str:
    """The printed conclusion of the mutant the mutation engine builds from `decl` (an
    extracted declaration), `rule` (the index's rule record) and the invocation `inv`."""
    from lean_alchemy.grammar.printer import print_term
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.mutate.statements import DecodedRule, apply_invocation

    m = apply_invocation(tuple(decl_binders(decl)), decl_conclusion(decl), inv,
                         DecodedRule.of(rule))
    return print_term(m.conclusion)


def mutated_library(root, files: dict[str, str], package: str = "Lib") -> tuple:
    """The mutate stage's stats and the stored mutants of a library of our own (`files`: module name -> Lean text,
    written under `root/src/package/`), run through the real extract, index and mutate
    stages at one job, every mutant kept, no refutation."""
    from lean_alchemy.core.rundb import RunDB
    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.extract.options import ExtractOptions
    from lean_alchemy.extract.pipeline import run_extract
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import run_mutate

    src = root / "src"
    for name, text in files.items():
        path = src / package / f"{name}.lean"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    run = RunDir.at(root / "run")
    run_extract(src, run, ExtractOptions(jobs=1, progress=False))
    run_index(run, IndexOptions(jobs=1, progress=False))
    stats = run_mutate(run, MutateOptions(jobs=1, max_per_theorem=None, refute=False))
    db = RunDB.for_run(run)
    try:
        return stats, [item[0] if isinstance(item, tuple) else item
                       for item in db.iter_mutants(statuses=None)]
    finally:
        db.close()


# a structure, a definition of its namespace and a statement that shows its receiver (1)
BAG = """\
structure Bag where
  n : ℕ

namespace Bag

def put (k : ℕ) (b : Bag) : Bag := b

theorem put_put (k : ℕ) (b : Bag) : Bag.put k (Bag.put k b) = Bag.put k b := rfl
"""

"""Field notation below a pattern's root: a rule the lemma writes `(b.put k).n` rewrites a
candidate's `(Bag.put j x).n`, through its variant in `T.f` spelling
(`dot_notation.undotted_rules`), the receiver placed where the receiver table says."""

from __future__ import annotations

from dataclasses import replace

from lean_alchemy.core.records import content_hash
from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.index.dot_notation import to_undot, undotted_rules

from helpers.lean_text import BAG, extracted_run, make_rule

TYPES = {"f": parse_term("M →ₗ[R] N"), "g": parse_term("N →ₗ[R] P"), "Q": parse_term("Type"),
         "x": parse_term("α")}
PVARS = frozenset(TYPES)
TABLE = {"LinearMap.rTensor": 1}


def _undot(text: str, table: dict[str, int] = TABLE) -> str:
    return print_term(to_undot(parse_term(text), PVARS, TYPES, table))


def test_a_dotted_variable_below_the_root_takes_the_constant_spelling():
    assert _undot("Function.Exact (f.rTensor Q) (g.rTensor Q)") == \
        "Function.Exact (LinearMap.rTensor Q f) (LinearMap.rTensor Q g)"
    assert _undot("(f.rTensor Q).ker") == "(LinearMap.rTensor Q f).ker"
    # negatives: the root (the candidate's node has that view), no table entry, a variable
    # of no constant type, a field chain, too few arguments for the receiver's position
    assert _undot("f.rTensor Q") == "f.rTensor Q"
    assert _undot("Function.Exact (f.rTensor Q) (g.rTensor Q)", {}) == \
        "Function.Exact (f.rTensor Q) (g.rTensor Q)"
    assert _undot("p (x.rTensor Q)") == "p (x.rTensor Q)"
    assert _undot("p (f.rTensor.ker Q)") == "p (f.rTensor.ker Q)"
    assert _undot("p f.rTensor") == "p f.rTensor"


def test_the_variant_keeps_the_rule_and_repeats_no_pattern():
    rule = replace(make_rule("LinearMap.exact_rTensor", "iff",
                             "{f : M →ₗ[R] N} {g : N →ₗ[R] P} {Q : Type}",
                             "Function.Exact (f.rTensor Q) (g.rTensor Q)", "Function.Exact f g"),
                   pattern_vars=("f", "g", "Q"))
    (got,) = undotted_rules([rule], TABLE)
    assert print_term(loads(got.pattern)) == \
        "Function.Exact (LinearMap.rTensor Q f) (LinearMap.rTensor Q g)"
    assert (got.lemma, got.direction, got.replacement) == \
        (rule.lemma, rule.direction, rule.replacement)
    assert got.id != rule.id and got.head == "Function.Exact/2"
    # the undotted spelling is already a rule of the lemma (the `dot` variant of a rule
    # written `T.f` gives back that rule's pattern): no variant
    plain = replace(rule, id="plain", pattern=got.pattern)
    assert undotted_rules([plain, rule], TABLE) == []
    # an implication is matched against hypotheses as written: none either
    assert undotted_rules([replace(rule, kind="imp")], TABLE) == []


STAGE = BAG + """
theorem n_put (k : ℕ) (b : Bag) : (b.put k).n = b.n := rfl

theorem uses (x : Bag) (j : ℕ) : (Bag.put j x).n + 1 = x.n + 1 := rfl

end Bag
"""


def test_the_index_stage_adds_the_variant_and_matches_the_constant_spelling(tmp_path):
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.explain import Library, explain
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.index.store import iter_invocations, read_rules

    run = extracted_run(tmp_path, STAGE)
    stats = run_index(run, IndexOptions(jobs=1, max_matches_per_theorem=None))
    rules = {r.id: r for r in read_rules(run)}
    undotted = [r for r in rules.values() if "Bag.put k b" in print_term(loads(r.pattern))
                and r.lemma == "Bag.n_put"]
    assert len(undotted) == 1 and stats.rules_undotted >= 1
    got = {(rules[i.rule_id].lemma, i.instance) for i in iter_invocations(run)
           if i.candidate == "Bag.uses"}
    assert ("Bag.n_put", "(Bag.put j x).n") in got
    data = explain(Library(run), "Bag.uses", "Bag.n_put", "fwd")
    assert data["accepted"] and data["kept"]
    # negative: `put_put` is written in `T.f` spelling; its `dot` variant gives no variant
    put_put = {i for i, r in rules.items() if r.lemma == "Bag.put_put"}
    assert put_put and not put_put & {content_hash(i, "undot") for i in put_put}

"""Rule derivation details that decide whether the index finds the rewrites the library's
own proofs make: section binder updates keep the variable's type."""

from __future__ import annotations

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.index.names import NameTable, Resolver, ScopeView
from lean_alchemy.index.rules import RuleStats, derive_rules

from helpers.lean_text import extract


def _rules(text: str, name: str, stats: RuleStats | None = None):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion, scope_binders

    decls, scopes = extract(text)
    d = decls[name]
    res = Resolver(NameTable.from_declarations(decls.values()))
    scope = scopes[d.scope_id]
    view = ScopeView.of(scope)
    return derive_rules(d, tuple(decl_binders(d)), decl_conclusion(d), stats=stats,
                        section=tuple(scope_binders(scope)),
                        resolve=lambda t, loc: res.resolve_term(t, view, loc))


UPDATED = """\
variable (A : Type*) (rel : Rels A) (M : Type*)

variable {A rel}

namespace Rels

theorem sol_iff (s : rel.Sol M) : s.Good ↔ span A (range s.var) = ⊤ := sorry

end Rels
"""


def test_a_binder_update_keeps_the_section_variable_type():
    from lean_alchemy.grammar.statements import scope_binders

    decls, scopes = extract(UPDATED)
    groups = scope_binders(scopes[decls["sol_iff"].scope_id])
    typed = {n: (g.kind, print_term(g.type) if g.type is not None else None)
             for g in groups for n in g.names}
    assert typed == {"A": ("implicit", "Type*"), "rel": ("implicit", "Rels A"),
                     "M": ("explicit", "Type*")}
    assert [g.names for g in groups] == [("A",), ("rel",), ("M",)]  # original positions


def test_a_variable_fixed_through_an_updated_binder_is_not_unbound():
    # `A` comes from `rel : Rels A`, and `rel` from `s : rel.Sol M`; the update
    # `variable {A rel}` must not hide those types
    st = RuleStats.new(trace=True)
    rules = [r for r in _rules(UPDATED, "sol_iff", st) if r.direction == "fwd"]
    assert "unbound_replacement_vars" not in st.dropped
    assert print_term(loads(rules[0].pattern)) == "s.Good"

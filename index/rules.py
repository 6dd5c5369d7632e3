"""Rules from theorems: directed rewrites (eq/iff) and implications (imp).

Why rules and not theorems: the index matches *patterns*; a theorem gives up to three
(`lhs → rhs`, `rhs → lhs`, and `hypotheses → conclusion`).  What a rule records is what
`rw [rule (a := x)]` / `apply rule` needs: the pattern variables (binder names, so the
mutation engine can instantiate them by name), binder kinds and types, the side conditions
a conditional rewrite leaves as goals, and the antecedents of an implication.

Derivation
- The signature is the lemma's binders, preceded by the section `variable`s it uses, then
  the binders of leading `∀`s and the antecedents of `→`s in the conclusion (both are part
  of the lemma's type, so `(x := v)` reaches `∀ x` binders too).
- *Propositional hypotheses* are binders whose type looks like a proposition (see
  `looks_prop`: relations, connectives, `¬`, quantifiers, or an `h`-named binder).  The
  explicit ones are a rewrite's `side_conditions` and an implication's `antecedents`;
  implicit/instance ones are left to unification and instance search.
- Rewrites: conclusion `lhs = rhs` / `lhs ↔ rhs` gives `fwd` (pattern lhs) and `bwd`
  (pattern rhs).  Implications: a lemma with explicit propositional hypotheses gives one
  `imp` rule whose pattern is the whole conclusion.
- Dropped (reason counted): `bare_variable` pattern (it would match everything),
  `variable_head` (`f x` with `f` a variable: a coercion or higher-order pattern in Lean),
  `numeral_pattern` (a bare numeral `0`/`1` whose equation type `mutate.match` cannot
  infer: it would match numerals of every type),
  `unbound_replacement_vars` (a rewrite whose replacement mentions a pattern variable the
  pattern does not bind: `rw` could not infer it), `opaque_pattern` / `hole_pattern` (the
  grammar did not see the pattern fully), `private` (not visible from another module),
  `deprecated`, `no_conclusion` / `unparsed`.

Patterns, replacements, side conditions and antecedents are stored *resolved*
(`extract.names`): each constant is its full name, so a rule prints correctly in any
candidate's namespace and matches every spelling of the same constant.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from lean_alchemy.core.records import Declaration, Rule, content_hash
from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Hole, Ident, Num, Opaque, Prefix, Quant, Term, dumps,
)
from lean_alchemy.index.section_variables import used_section_variables
from lean_alchemy.grammar.walk import heads, nodes

REL_OPS = frozenset({
    "=", "≠", "<", "≤", ">", "≥", "∣", "∈", "∉", "⊆", "⊂", "⊇", "⊃", "↔", "∧", "∨", "≡",
    "⊥", "≃", "≅", "≪", "=ᵐ", "≤ᵐ", "~", "≈", "∈ᵐ", "⊑", "≺", "≼", "⋖", "⩿", "⟂", "∥", "=ᶠ",
    "≤ᶠ", "≃ₗ", "→₀",
})
PROP_QUANTS = frozenset({"∀", "∃", "∃!", "∀ᶠ", "∃ᶠ", "∀ᵐ", "∃ᵐ"})


def looks_prop(ty: Term | None, name: str = "") -> bool:
    """Heuristic: does a binder of type `ty` (named `name`) hold a proof?

    Source text does not tell types from propositions; Mathlib's conventions do: relations
    and connectives are propositions, and hypotheses are named `h…`.
    """
    if ty is None:
        return False
    if isinstance(ty, BinOp):
        if ty.op in REL_OPS and ty.op not in ("≃", "≃ₗ", "→₀"):
            return True
        if ty.op == "→":
            return looks_prop(ty.rhs) or looks_prop(ty.lhs)
    if isinstance(ty, Prefix) and ty.op == "¬":
        return True
    if isinstance(ty, Quant) and ty.op in PROP_QUANTS:
        return ty.op != "∀" or looks_prop(ty.body)
    if isinstance(ty, Ident) and ty.name in ("True", "False"):
        return True
    return bool(name) and (name == "h" or (name[0] == "h" and (len(name) == 1 or not
                                                                 name[1].isalpha()
                                                                 or name[1].islower()))
                           ) and not _looks_type(ty)


def _looks_type(ty: Term) -> bool:
    from lean_alchemy.grammar.ast import Sort

    if isinstance(ty, Sort):
        return True
    if isinstance(ty, Ident) and ty.name in ("ℕ", "ℤ", "ℚ", "ℝ", "ℂ", "Nat", "Int", "Real",
                                              "Prop", "Bool"):
        return True
    return False


@dataclass(frozen=True, slots=True)
class SigBinder:
    """One binder of a lemma's full signature (section variables and peeled `∀`/`→`)."""

    name: str  # "" for anonymous instance binders and `→` antecedents
    kind: str  # BinderKind
    type: Term | None
    is_prop: bool


def signature(groups: tuple[BinderGroup, ...], conclusion: Term
              ) -> tuple[list[SigBinder], Term]:
    """Flatten binder groups, then peel `∀ x, …` and `P → …` off the conclusion."""
    out: list[SigBinder] = []
    for g in groups:
        kind = "explicit" if g.kind == "plain" else g.kind
        names = g.names or ("",)
        for n in names:
            out.append(SigBinder(n, kind, g.type, kind != "inst" and looks_prop(g.type, n)))
    body = conclusion
    while True:
        if isinstance(body, Quant) and body.op in ("∀", "Π"):
            for g in body.binders:
                kind = "explicit" if g.kind == "plain" else g.kind
                for n in g.names or ("",):
                    out.append(SigBinder(n, kind, g.type, looks_prop(g.type, n)))
                    if g.pred_op is not None and g.pred is not None:
                        out.append(SigBinder("", "explicit",
                                             BinOp(g.pred_op, Ident(n), g.pred), True))
            body = body.body
        elif isinstance(body, BinOp) and body.op == "→" and looks_prop(body.lhs):
            out.append(SigBinder("", "explicit", body.lhs, True))
            body = body.rhs
        else:
            return out, body


def used_section_groups(section: tuple[BinderGroup, ...], groups: tuple[BinderGroup, ...],
                        conclusion: Term) -> tuple[BinderGroup, ...]:
    """The section `variable`s Lean makes leading arguments of the lemma (see
    `mutate.sections`): mentioned ones, not shadowed by the lemma's own binders or by a
    later `variable` of the same name, and instance binders about them."""
    return used_section_variables(section, groups, conclusion) if section else ()


@dataclass
class RuleStats:
    rules: Counter
    dropped: Counter

    @classmethod
    def new(cls) -> "RuleStats":
        return cls(Counter(), Counter())


def _vars(t: Term, pvars: frozenset[str]) -> frozenset[str]:
    """Pattern variables occurring free in `t` (`h.le` counts as `h`)."""
    return heads(t) & pvars


def _bad_pattern(p: Term, pvars: frozenset[str]) -> str | None:
    if isinstance(p, Ident) and p.name.split(".", 1)[0] in pvars:
        return "bare_variable"
    if isinstance(p, App) and isinstance(p.fn, Ident) and p.fn.name.split(".", 1)[0] in pvars:
        # `f x` with `f` a variable: in Lean this is a coercion `⇑f x` (a bundled map) or a
        # higher-order pattern; read as first order it would match every application
        return "variable_head"
    for s in nodes(p):
        if isinstance(s, Opaque):
            return "opaque_pattern"
        if isinstance(s, Hole):
            return "hole_pattern"
    return None


def derive_rules(decl: Declaration, groups: tuple[BinderGroup, ...], conclusion: Term | None,
                 *, section: tuple[BinderGroup, ...] = (), resolve=None,
                 stats: RuleStats | None = None) -> list[Rule]:
    """The rules of one theorem.

    `groups`/`conclusion` are the parsed signature, `section` the `variable` groups in
    force, `resolve(term, locals) -> term` renames constants to full names (identity when
    None).  Reasons for every rule not produced go to `stats.dropped`.
    """
    st = stats if stats is not None else RuleStats.new()
    if not decl.is_candidate:
        return []
    if conclusion is None:
        st.dropped["no_conclusion"] += 1
        return []
    if "private" in decl.modifiers:
        st.dropped["private"] += 1
        return []
    if any(a.split()[0].startswith("deprecated") for a in decl.attributes if a.split()):
        st.dropped["deprecated"] += 1
        return []
    sec = used_section_groups(section, groups, conclusion)
    sig, body = signature(sec + groups, conclusion)
    locals_ = frozenset(b.name for b in sig if b.name)
    pvars = frozenset(b.name for b in sig if b.name and not b.is_prop)
    res = (lambda t: resolve(t, locals_)) if resolve is not None else (lambda t: t)
    names = tuple(b.name for b in sig)
    kinds = tuple(b.kind for b in sig)
    rtypes = [res(b.type) if b.type is not None else None for b in sig]
    types = tuple(dumps(t) if t is not None else "" for t in rtypes)
    hyps = tuple(dumps(res(b.type)) for b in sig
                 if b.is_prop and b.kind in ("explicit", "strict") and b.type is not None)
    body_r = res(body)
    out: list[Rule] = []

    def make(kind: str, direction: str, pattern: Term, replacement: Term | None) -> None:
        bad = _bad_pattern(pattern, pvars)
        if bad is None and isinstance(pattern, Num):
            # `0` occurs in every type: without the equation's type it matches numerals
            # Lean would not rewrite (`(0 : Pt).x = 0` read backwards on a `0 : K`)
            from lean_alchemy.index.match.hints import rule_equation_type

            if kind != "eq" or rule_equation_type(pattern, replacement, names, rtypes) is None:
                bad = "numeral_pattern"
        if bad is None and replacement is not None:
            if not _vars(replacement, pvars) <= _vars(pattern, pvars):
                bad = "unbound_replacement_vars"
        if bad is not None:
            st.dropped[bad] += 1
            return
        from lean_alchemy.index.match.patterns import head_key

        pv = tuple(sorted(_vars(pattern, pvars) | (
            _vars(replacement, pvars) if replacement is not None else frozenset())))
        out.append(Rule(
            id=content_hash(decl.full_name, kind, direction), lemma=decl.full_name, kind=kind,
            direction=direction, pattern=dumps(pattern),
            replacement=dumps(replacement) if replacement is not None else "",
            pattern_vars=tuple(n for n in names if n in pvars) if kind == "imp" else pv,
            binder_names=names, binder_kinds=kinds, binder_types=types,
            side_conditions=hyps if kind != "imp" else (),
            antecedents=hyps if kind == "imp" else (),
            head=head_key(pattern, pvars), module=decl.module))
        st.rules[kind] += 1

    if isinstance(body_r, BinOp) and body_r.op in ("=", "↔"):
        kind = "eq" if body_r.op == "=" else "iff"
        make(kind, "fwd", body_r.lhs, body_r.rhs)
        make(kind, "bwd", body_r.rhs, body_r.lhs)
    if hyps:
        make("imp", "fwd", body_r, None)
    return out


def summarize(rules: Iterable[Rule]) -> dict[str, int]:
    c: Counter = Counter(r.kind for r in rules)
    return dict(sorted(c.items()))

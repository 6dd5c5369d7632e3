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
  pattern does not bind and that has no name or declared type: a named, typed one is kept
  and filled from the candidate at match time, `index.match.fill`), `opaque_pattern` / `hole_pattern` (the
  grammar did not see the pattern fully), `opaque_replacement` (a tactic block or
  unmodelled text of the replacement names a hypothesis of the rule: substitution cannot
  reach it, and the mutant names the side condition its own way), `private` (not visible from another module),
  `deprecated`, `no_conclusion` / `unparsed`.

Patterns, replacements, side conditions and antecedents are stored *resolved*
(`extract.names`): each constant is its full name, so a rule prints correctly in any
candidate's namespace and matches every spelling of the same constant.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator

from lean_alchemy.core.records import Declaration, Rule, content_hash
from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, By, Hole, Ident, Let, Num, Opaque, Prefix, Quant, Term,
    binder_names, dumps,
)
from lean_alchemy.grammar.operators import bracket_parts
from lean_alchemy.index.dot_notation import spellings
from lean_alchemy.index.match.hints import TYPE_ARROW_STARTS
from lean_alchemy.index.match.patterns import higher_order_args, is_assumption_hole
from lean_alchemy.index.pattern_forms import (bare_constant, coerced_function, unascribed,
                                              unnamed, with_binder_predicates)
from lean_alchemy.index.receivers import collect as collect_receivers
from lean_alchemy.index.section_variables import used_section_variables
from lean_alchemy.grammar.walk import heads, nodes

# Relations: a binder typed by one is a proof.  Arrows of bundled maps and isomorphisms
# (`≃`, `≅`, `→₀`, `⥤`, `⟶`, `→+*`…) are types of data, not propositions: `(α : X ≅ Y)` is a
# pattern variable.
REL_OPS = frozenset({
    "=", "≠", "<", "≤", ">", "≥", "∣", "∈", "∉", "⊆", "⊂", "⊇", "⊃", "↔", "∧", "∨", "≡",
    "⊥", "≪", "=ᵐ", "≤ᵐ", "~", "≈", "∈ᵐ", "⊑", "≺", "≼", "⋖", "⩿", "⟂", "∥", "=ᶠ", "≤ᶠ",
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
        if ty.op in REL_OPS:
            return True
        if ty.op == "→":
            return looks_prop(ty.rhs) or looks_prop(ty.lhs)
        if ty.op[0] in TYPE_ARROW_STARTS:
            return False  # `(h : X ≃ₜ Y)`, `(f : M →ₗ[R] N)`: a map, whatever its name
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
        elif isinstance(body, BinOp) and body.op == "→" and isinstance(body.lhs, BinderGroup):
            # `{a b : α} → t`: a dependent arrow, the `∀ {a b : α}, t` of Lean 4
            g = body.lhs
            kind = "explicit" if g.kind == "plain" else g.kind
            for n in g.names or ("",):
                out.append(SigBinder(n, kind, g.type, kind != "inst" and looks_prop(g.type, n)))
            body = body.rhs
        elif isinstance(body, BinOp) and body.op == "→" and (
                looks_prop(body.lhs) or _ends_in_rewrite(body.rhs)):
            # an antecedent: a proposition by its look, or any premise of an equation or
            # iff (`IsNat a n → n = a' → a = a'`: a predicate the heuristic cannot tell)
            out.append(SigBinder("", "explicit", body.lhs, True))
            body = body.rhs
        elif isinstance(body, Let) and body.kind in ("haveI", "letI") and not body.name:
            # `haveI := v; t`: Lean elaborates `t` with the instance inlined, so the
            # lemma's type is `t`'s (no `let` is left in it)
            body = body.body
        else:
            return out, body


def _ends_in_rewrite(t: Term) -> bool:
    """Whether `t` is an equation or iff after leading `∀`s and `→`s."""
    while True:
        if isinstance(t, Quant) and t.op in ("∀", "Π"):
            t = t.body
        elif isinstance(t, BinOp) and t.op == "→":
            t = t.rhs
        else:
            return isinstance(t, BinOp) and t.op in ("=", "↔")


def used_section_groups(section: tuple[BinderGroup, ...], groups: tuple[BinderGroup, ...],
                        conclusion: Term) -> tuple[BinderGroup, ...]:
    """The section `variable`s Lean makes leading arguments of the lemma (see
    `mutate.sections`): mentioned ones, not shadowed by the lemma's own binders or by a
    later `variable` of the same name, and instance binders about them."""
    return used_section_variables(section, groups, conclusion) if section else ()


@dataclass
class RuleStats:
    """Rules derived by kind and dropped by reason.  With `trace` (a list), every
    decision is also recorded as (kind, direction, reason, rule id): a dropped rule has
    no id ("*" kind and direction for a whole lemma), a derived one no reason; each
    spelling of a pattern (`index.dot_notation`) is a rule: what `alchemy explain` shows."""

    rules: Counter
    dropped: Counter
    trace: list | None = None

    @classmethod
    def new(cls, trace: bool = False) -> "RuleStats":
        return cls(Counter(), Counter(), [] if trace else None)

    def drop(self, reason: str, kind: str = "*", direction: str = "*") -> None:
        self.dropped[reason] += 1
        if self.trace is not None:
            self.trace.append((kind, direction, reason, None))


_OP_NAME = re.compile(r"[^\W\d][\w'!?₀-₉ₐ-ₜᵢ-ᵪ]*")


def op_names(t: Term | None) -> frozenset[str]:
    """Names written inside the brackets of an operator (`A →ₐ[R] B`, `f =ᵐ[μ] g`,
    `f =o[l] g`): the grammar keeps them in the operator's text, so `heads` does not see
    them, yet they are arguments Lean elaborates like any other."""
    return frozenset(n for op in _bracketed_ops(t)
                     for n in _OP_NAME.findall(op[op.index("[") + 1:-1]))


def _bracketed_ops(t: Term | None) -> Iterator[str]:
    """The texts of the bracketed operators written in `t` (`→ₐ[R]`, `=O[l]`)."""
    for s in nodes(t) if t is not None else ():
        op = getattr(s, "op", None)
        if isinstance(op, str) and "[" in op and op.endswith("]"):
            yield op


def bracket_names(t: Term | None, whole: bool = True) -> frozenset[str]:
    """Of `op_names`, those that are a bracket's whole content (`l` of `f =O[l] g`), or
    with `whole` off those inside a larger content (`μ` of `f =ᵐ[μ.restrict s] g`).
    Why: a whole bracket is an argument the matcher binds and substitution rewrites
    (`grammar.operators.bracket_parts`); a name inside a larger content stays text."""
    out: set[str] = set()
    for op in _bracketed_ops(t):
        parts = bracket_parts(op)
        name = parts[1].strip() if parts is not None else None
        if name is not None and _OP_NAME.fullmatch(name):
            if whole:
                out.add(name)
        elif not whole:
            out.update(_OP_NAME.findall(op[op.index("[") + 1:-1]))
    return frozenset(out)


def _vars(t: Term, pvars: frozenset[str]) -> frozenset[str]:
    """Pattern variables occurring free in `t` (`h.le` counts as `h`), also inside a
    bracketed operator (`op_names`)."""
    return (heads(t) | op_names(t)) & pvars


def _bad_pattern(p: Term, pvars: frozenset[str]) -> str | None:
    """Why a pattern cannot be matched usefully, or None.  A dotted variable (`s.ncard`,
    `M.eRk X`) is not a variable: Lean reads `x.f` as the constant `T.f` of `x`'s type, so
    the pattern has a constant head (the matcher requires the same field name)."""
    if isinstance(p, Ident) and p.name in pvars:
        return "bare_variable"
    if isinstance(p, App) and isinstance(p.fn, Ident) and p.fn.name in pvars:
        # `f x` with `f` a variable: in Lean this is a coercion `⇑f x` (a bundled map) or a
        # higher-order pattern; read as first order it would match every application
        return "variable_head"
    allowed: set[int] | None = None  # `_hypothesis_holes`, read at the first hole
    for s in nodes(p):
        if isinstance(s, Opaque):
            return "opaque_pattern"
        if isinstance(s, Hole):
            if allowed is None:
                allowed = _hypothesis_holes(p, pvars)
            if id(s) not in allowed:
                return "hole_pattern"
    return None


def _hypothesis_holes(p: Term, pvars: frozenset[str]) -> set[int]:
    """The `‹_›` holes of `p` that pass a bounded binder's hypothesis to a higher-order
    variable (`t x ‹_›` in `⋃ x ∈ s, t x ‹_›`, `patterns.higher_order_args`): the matcher
    binds `t` to a function of that hypothesis, which a candidate never names."""
    return {id(a.term) for s in nodes(p) if isinstance(s, Quant)
            for t in nodes(s.body)
            if isinstance(t, App) and isinstance(t.fn, Ident) and t.fn.name in pvars
            and higher_order_args(t, pvars, {n for g in s.binders for n in binder_names(g)})
            is not None
            for a in t.args if is_assumption_hole(a)}


def _bad_replacement(pattern: Term, replacement: Term, pvars_: frozenset[str],
                     pvars: frozenset[str], type_of: dict[str, Term | None],
                     by_name: dict) -> str | None:
    """Why a rewrite's replacement cannot be stated in a mutant, or None: it needs a
    variable the pattern does not fix and the candidate cannot fill, or verbatim text of it
    names one of the rule's hypotheses (`_verbatim_mentions`): the mutant states a side
    condition under a name of its own.  A variable named there (`{ ⁅x, n⁆ | (x : I) (n : N) }`)
    is kept: matched to the candidate's variable of the same name, as in the library's own
    rewrites, the text is right."""
    fixed = determined(_vars(pattern, pvars_), type_of, pvars)
    if not all(_fillable(by_name.get(v)) for v in _vars(replacement, pvars) - fixed):
        return "unbound_replacement_vars"
    if _verbatim_mentions(replacement, frozenset(n for n, b in by_name.items() if b.is_prop)):
        return "opaque_replacement"
    return None


_WORD = re.compile(r"[^\W\d][\w'!?₀-₉]*")


def _verbatim_mentions(t: Term, binder_names: frozenset[str]) -> bool:
    """Whether a tactic block or unmodelled construct of `t` names one of `binder_names`
    (`eqToHom (by subst e; rfl)`).  Substitution never enters verbatim text, so a mutant
    would print the rule's binder name, unbound where it is stated."""
    return bool(verbatim_names(t) & binder_names)


def verbatim_names(t: Term) -> frozenset[str]:
    """The names (first dotted components) the tactic blocks and unmodelled constructs of
    `t` write (`{(μ n : Measure E) | n}`: `μ`, `n`, `Measure`, `E`): text substitution
    never enters.  Memoized by identity (the mutation stage asks it of a rule's decoded
    terms once per invocation)."""
    hit = _VERBATIM.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    out: set[str] = set()
    for s in nodes(t):
        text = s.tactics if isinstance(s, By) else s.text if isinstance(s, Opaque) else None
        if text is not None:
            out.update(w.split(".")[0] for w in _WORD.findall(text))
    value = frozenset(out)
    if len(_VERBATIM) >= 65_536:
        _VERBATIM.clear()
    _VERBATIM[id(t)] = (t, value)
    return value


_VERBATIM: dict[int, tuple[Term, frozenset[str]]] = {}


def determined(bound: frozenset[str], types: dict[str, Term | None],
               pvars: frozenset[str], in_operators: bool = True) -> frozenset[str]:
    """The variables a match of a pattern binding `bound` fixes: those, and every variable
    their binder types mention, transitively.  Lean fills such implicit arguments by
    unification (`s₁ : Finset α` fixes `α`), so a replacement may mention them:
    `Finset.coe_subset` backwards rewrites `s₁ ⊆ s₂` to `(s₁ : Set α) ⊆ ↑s₂`.  A name
    inside a bracketed operator of a type counts (`f : A →ₐ[R] B` fixes `R`) unless
    `in_operators` is off (what the mutation engine's type matching sees)."""
    out = set(bound)
    todo = list(bound)
    while todo:
        t = types.get(todo.pop())
        if t is None:
            continue
        for v in (heads(t) | op_names(t) if in_operators else heads(t)) & pvars:
            if v not in out:
                out.add(v)
                todo.append(v)
    return frozenset(out)


# the names `variants` gives the other spellings (each rule id hashes its name)
VARIANT_NAMES = ("dot", "proj", "bare", "unascribed", "pred", "coe", "unnamed")


def rule_ids(lemma: str, kind: str, direction: str) -> tuple[str, ...]:
    """The ids the index gives the rule of `lemma` in one direction, one per spelling of
    its pattern (`derive_rules`, `variants`, `dot_notation.undotted_rules`)."""
    base = (content_hash(lemma, kind, direction),
            *(content_hash(lemma, kind, direction, s) for s in VARIANT_NAMES))
    return base + tuple(content_hash(i, "undot") for i in base)


def variants(kind: str, pattern: Term, replacement: Term | None, pvars: frozenset[str],
             type_of: dict[str, Term | None], side: frozenset[str] = frozenset()
             ) -> list[tuple[str, Term, Term | None, tuple]]:
    """The other forms of a rewrite's pattern Lean identifies, as (id suffix, pattern,
    replacement, extra pattern variables): the other spellings of `T.f x` / `x.f`
    (`index.dot_notation`).  An over-applied instance (`f a` inside `f a b`) needs no form
    of its own: the matcher tries the prefixes of every application
    (`index.match.patterns.prefix_spans`).  A pattern that is a bare constant written
    `@C` is also indexed as `C` (`bare_constant`)."""
    out = [(name, other, replacement, ())
           for name, other in spellings(pattern, pvars, type_of)]
    bare = bare_constant(pattern, pvars)
    if bare is not None:
        out.append(("bare", bare, replacement, ()))
    plain = unascribed(pattern, pvars, type_of)
    if plain is not pattern and not isinstance(plain, (Ident, Num)) and \
            _bad_pattern(plain, pvars) is None:
        out.append(("unascribed", plain, replacement, ()))
    pred = with_binder_predicates(pattern)
    if pred is not pattern:
        out.append(("pred", pred, replacement, ()))
    bare_args = unnamed(pattern, pvars, side | (heads(replacement) if replacement is not None
                                                 else frozenset()))
    if bare_args is not pattern and _bad_pattern(bare_args, pvars) is None:
        out.append(("unnamed", bare_args, replacement, ()))
    coerced = coerced_function(pattern, pvars)
    if coerced is not None:
        out.append(("coe", coerced, replacement, ()))
    return out


def _fillable(b: SigBinder | None) -> bool:
    """Whether the matcher can fill this binder from the candidate (`index.match.fill`)
    when the pattern leaves it open: it needs a name (`(f := x)`) and a declared type to
    choose a candidate variable by."""
    return b is not None and not b.is_prop and b.type is not None and "✝" not in b.name


def _lemma_drop(decl: Declaration, conclusion: Term | None) -> str | None:
    """Why no rule at all comes from `decl`, or None."""
    if conclusion is None:
        return "no_conclusion"
    if "private" in decl.modifiers:
        return "private"
    if any(a.split()[0].startswith("deprecated") for a in decl.attributes if a.split()):
        return "deprecated"
    return None


def _rule(decl: Declaration, rid: str, kind: str, direction: str, pattern: Term,
          replacement: Term | None, pvars: frozenset[str], pv: tuple[str, ...],
          signature: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...],
                           tuple[str, ...]]) -> Rule:
    """The record of one directed rule (`signature`: binder names, kinds, types and the
    explicit hypotheses, serialized)."""
    from lean_alchemy.index.match.patterns import head_key

    names, kinds, types, hyps = signature
    return Rule(
        id=rid, lemma=decl.full_name, kind=kind, direction=direction, pattern=dumps(pattern),
        replacement=dumps(replacement) if replacement is not None else "",
        pattern_vars=tuple(n for n in names if n in pvars) if kind == "imp" else pv,
        binder_names=names, binder_kinds=kinds, binder_types=types,
        side_conditions=hyps if kind != "imp" else (),
        antecedents=hyps if kind == "imp" else (),
        head=head_key(pattern, pvars), module=decl.module)


def derive_rules(decl: Declaration, groups: tuple[BinderGroup, ...], conclusion: Term | None,
                 *, section: tuple[BinderGroup, ...] = (), resolve=None,
                 stats: RuleStats | None = None, receivers: Counter | None = None
                 ) -> list[Rule]:
    """The rules of one theorem.

    `groups`/`conclusion` are the parsed signature, `section` the `variable` groups in
    force, `resolve(term, locals) -> term` renames constants to full names (identity when
    None).  Reasons for every rule not produced go to `stats.dropped`; the statement's
    evidence of receiver positions (`index.receivers.collect`) to `receivers` when given.
    """
    st = stats if stats is not None else RuleStats.new()
    if not decl.is_candidate:
        return []
    why = _lemma_drop(decl, conclusion)
    if why is not None or conclusion is None:
        st.drop(why or "no_conclusion")
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
    type_of = {b.name: t for b, t in zip(sig, rtypes) if b.name}
    _receiver_evidence(receivers, (*rtypes, body_r), type_of)
    hyp_names = frozenset(b.name for b in sig if b.name and b.is_prop)
    side_names = frozenset().union(*(heads(res(b.type)) for b in sig
                                     if b.is_prop and b.type is not None))
    by_name = {b.name: b for b in sig if b.name}

    def make(kind: str, direction: str, pattern: Term, replacement: Term | None) -> None:
        # a hypothesis named inside the pattern (`Fin.mk n h`) is a proof: any matches
        pvars_ = pvars | (heads(pattern) & hyp_names)
        bad = _bad_pattern(pattern, pvars_)
        if bad is None and isinstance(pattern, Num):
            # `0` occurs in every type: without the equation's type it matches numerals
            # Lean would not rewrite (`(0 : Pt).x = 0` read backwards on a `0 : K`)
            from lean_alchemy.index.match.hints import rule_equation_type

            if kind != "eq" or rule_equation_type(pattern, replacement, names, rtypes) is None:
                bad = "numeral_pattern"
        if bad is None and replacement is not None:
            bad = _bad_replacement(pattern, replacement, pvars_, pvars, type_of, by_name)
        if bad is not None:
            st.drop(bad, kind, direction)
            return

        pv = tuple(sorted(_vars(pattern, pvars_) | (
            _vars(replacement, pvars) if replacement is not None else frozenset())))
        emit(kind, direction, pattern, replacement, pvars_, pv, content_hash(
            decl.full_name, kind, direction))
        if kind != "imp":
            for name, other, repl, extra in variants(kind, pattern, replacement, pvars_,
                                                     type_of, side_names):
                emit(kind, direction, other, repl, pvars_ | set(extra), pv + extra,
                     content_hash(decl.full_name, kind, direction, name))

    def emit(kind: str, direction: str, pattern: Term, replacement: Term | None,
             pvars_: frozenset[str], pv: tuple[str, ...], rid: str) -> None:
        out.append(_rule(decl, rid, kind, direction, pattern, replacement, pvars_, pv,
                         (names, kinds, types, hyps)))
        st.rules[kind] += 1
        if st.trace is not None:
            st.trace.append((kind, direction, None, rid))

    if isinstance(body_r, BinOp) and body_r.op in ("=", "↔"):
        kind = "eq" if body_r.op == "=" else "iff"
        make(kind, "fwd", body_r.lhs, body_r.rhs)
        make(kind, "bwd", body_r.rhs, body_r.lhs)
    if hyps:
        make("imp", "fwd", body_r, None)
    return out


def _receiver_evidence(out: Counter | None, terms: Iterable[Term | None],
                       type_of: dict[str, Term | None]) -> None:
    """Add the receiver positions `terms` show (`index.receivers.collect`) to `out`."""
    if out is not None:
        for t in terms:
            if t is not None:
                collect_receivers(t, type_of, out)


def summarize(rules: Iterable[Rule]) -> dict[str, int]:
    c: Counter = Counter(r.kind for r in rules)
    return dict(sorted(c.items()))

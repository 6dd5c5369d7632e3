"""First-order matching of a compiled rule against a candidate sub-term.

- **first order**, pattern variables (the rule's non-hypothesis binders) bind sub-terms,
  repeated variables must bind equal terms; a variable applied to arguments (`f x`) binds
  the candidate's function; a function-typed variable applied to distinct names the
  pattern binds (`p i x` in `∀ᶠ x in l, ∀ i, p i x`) binds any term, abstracted over
  them (`p := fun i n => 0 < r i n`, eta-reduced), as Lean unifies such Miller patterns;
- **bound variables**: names bound inside the pattern correspond to the candidate's bound
  names position by position (alpha-equivalence); a pattern variable never binds a term
  that mentions a variable bound inside the matched instance (no capture), and an instance
  mentioning a variable bound *above* it is not reported (`under_binder`: `rw` cannot
  rewrite under binders);
- **constants** compare by resolved full name (`extract.names`); a candidate name that did
  not resolve matches a rule constant it could denote in the candidate's scope (a namespace
  in force or an `open` + the written name).  Without a resolver (re-matching mutants) a
A constant-free pattern whose variables have concrete types needs one matched value with a
hint (`untyped_generic`, on with `generic_evidence`).  Counted by `type_ok`: `type_mismatch`,
`numeral_pattern`, `rigid_mismatch`, `untyped_generic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lean_alchemy.core.records import Rule
from lean_alchemy.grammar.ast import (
    App,
    BinOp,
    BinderGroup,
    Hole,
    Ident,
    NamedArg,
    Num,
    Opaque,
    Quant,
    Sort,
    Term,
    bound_in_child,
    loads,
)
from lean_alchemy.grammar.operators import bracket_parts
from lean_alchemy.grammar.substitute import alpha_equal
from lean_alchemy.grammar.walk import (
    heads,
    nodes,
    without_levels,
)
from lean_alchemy.index.match.hints import (
    Hint,
    closed_key,
    compatible,
    rule_equation_type,
    type_key,
)
from lean_alchemy.index.match.patterns import (
    BINDING_NODES,
    WILD,
    Flat,
    bracket_var,
    children,
    function_typed,
    higher_order_args,
    untyped_against_typed,
    untyped_symbol,
    pattern_symbols,
    shape,
)
from lean_alchemy.index.match.receiver_heads import dot_receivers
from lean_alchemy.index.match.rigid import (
    BUNDLED,
    CONSTANT,
    OVERLOADED_CONSTANTS,
    SET,
    constant_type,
    fun_like_vars,
    is_concrete,
    rigid_clash,
    rigid_head,
)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule ready for matching."""

    rule: Rule
    pattern: Term
    pvars: frozenset[str]
    types: dict  # pattern variable -> closed type key (`type_key`) / `?α` (a type variable)
    tvars: frozenset[str]
    specificity: int = 0  # symbols of the pattern that are not variables
    eq_type: str | None = None  # closed type of the equation's sides, when inferable
    bare_num: bool = False  # the pattern is a numeral (`0`, `1`)
    heads: tuple = ()  # (pattern variable, rigid head of its type): see `rigid_head`
    generic: tuple = ()  # constant-free pattern: its concretely typed variables (`type_ok`)
    symbols: tuple = ()  # `pattern_symbols`: the trie key
    steps: tuple | None = None  # `match_steps`, None when the pattern binds names
    receivers: tuple = ()  # (variable used with dot notation, its type's head): `value_checks`
    near: tuple = ()  # `rule_keys`: the module and namespace a candidate may share
    higher_order: frozenset[str] = frozenset()  # `patterns.function_typed` pattern variables
    brackets: frozenset[str] = frozenset()  # variables filling an operator's bracket
    root: bool = False  # the lemma is of the root namespace (`RuleIndex._tiers`)


_NODE, _VAR, _CONST = 0, 1, 2

# Binding notations of logic itself: a pattern made of them and variables only is generic
# (`∃ x, p x` meets every existential).  Any other (`∀ᶠ`, `∀ᵐ`, `∑`, `⋃`, `∫`) is
# notation for one constant (`Filter.Eventually`, `Finset.sum`): as specific as its name.
LOGIC_BINDERS = frozenset({"∀", "∃", "∃!", "fun", "λ", "Π", "Σ"})


def match_steps(p: Term, pvars: frozenset[str]) -> tuple | None:
    """The pattern in pre-order as (step, name) pairs for `match_flat`: a node whose shape
    the trie has already compared, a pattern variable (binds a whole sub-term), a rule
    constant.  None when the pattern binds names (`∑ i ∈ s, f i`) or has a dotted
    variable (`x.1`): those need the general matcher's bound-name bookkeeping."""
    out: list[tuple[int, str]] = []
    return tuple(out) if _match_steps(p, pvars, out) else None


def _match_steps(t: Term, pvars: frozenset[str], out: list[tuple[int, str]]) -> bool:
    """`match_steps` of `t` appended to `out`; False where it has none.  Module level, not
    a nested function that calls itself: that makes a reference cycle per call."""
    if isinstance(t, Ident):
        head, dot, _ = t.name.partition(".")
        if head in pvars:
            if dot:
                return False
            out.append((_VAR, head))
        else:
            out.append((_CONST, t.name))
        return True
    if isinstance(t, BINDING_NODES) or bracket_var(t, pvars) is not None:
        return False
    out.append((_NODE, ""))
    return all(_match_steps(c, pvars, out) for _, _, c in children(t))


def _names_one_constant(sym: object) -> bool:
    """Whether a pattern symbol (`patterns.pattern_symbols`) stands for one constant, so
    that a pattern holding it is not generic: a name, a field, a numeral, a projection, a
    binder notation other than logic's (`∑`, `∀ᶠ`), an operator with a bracket (`=o[l]`
    is `Asymptotics.IsLittleO`, `=ᶠ[l]` `Filter.EventuallyEq`; `+` and `⊆` are classes
    that every type may have)."""
    if not isinstance(sym, tuple):
        return False
    kind, name = sym[0], sym[1] if len(sym) > 1 else None
    return (kind in ("dot", "Num", "Proj")
            or kind == "id" and name not in OVERLOADED_CONSTANTS
            or kind == "Quant" and name not in LOGIC_BINDERS
            or kind == "BinOp" and isinstance(name, str) and "[" in name)


def compile_rule(rule: Rule, rigid: frozenset[str] = frozenset(),
                 generic_evidence: bool = False) -> Compiled | None:
    """A rule ready for matching.  `rigid` (`rigid_names`) enables the rigid-head filter,
    and with it `generic_evidence` the `untyped_generic` one (see `type_ok`)."""
    p = loads(rule.pattern)
    if p is None:
        return None
    pvars = frozenset(rule.pattern_vars)
    names = rule.binder_names
    btypes = [loads(t) if t else None for t in rule.binder_types]
    tvars = frozenset(n for n, t in zip(names, btypes) if n and isinstance(t, Sort))
    bound = frozenset(n for n in names if n)
    types: dict[str, str] = {}
    for n, t in zip(names, btypes):
        if n not in pvars or t is None:
            continue
        if isinstance(t, Ident) and t.name in tvars:
            types[n] = "?" + t.name
        else:
            k = closed_key(type_key(t, bound))
            if k is not None:
                types[n] = k
    eq_type = None
    if rule.kind == "eq":
        rhs = loads(rule.replacement) if rule.replacement else None
        eq_type = rule_equation_type(p, rhs, names, btypes)
    higher_order = function_typed(names, btypes) & pvars
    symbols = pattern_symbols(p, pvars)
    spec = sum(1 for x in symbols if x != WILD)
    rigid_vars: tuple = ()
    generic: tuple = ()
    if rigid:
        rigid_vars = tuple((n, h) for n, t in zip(names, btypes) if n in pvars
                           for h in [rigid_head(t, bound, rigid)] if h is not None)
        has = {n for n, _ in rigid_vars}
        rigid_vars += tuple((n, CONSTANT) for n, t in zip(names, btypes)
                            if n in pvars and n not in has and t is not None
                            and constant_type(t, bound, names, btypes, rigid))
        has |= {n for n, _ in rigid_vars}
        rigid_vars += tuple((n, SET) for n, t in zip(names, btypes)
                            if n in pvars and n not in has and _set_typed(t))
        bundled = fun_like_vars(names, btypes, tvars)
        rigid_vars += tuple((n, BUNDLED) for n, t in zip(names, btypes) if n in pvars
                            and isinstance(t, Ident) and t.name in bundled)
        if generic_evidence and not any(_names_one_constant(x) for x in symbols):
            # variables of the pattern whose type says something: not a type variable of
            # the rule (`a b : α`), not a sort (`K : Type v` itself, `a b : Prop`)
            occurs = heads(p)
            generic = tuple(sorted(n for n, t in zip(names, btypes)
                                   if n in pvars and n in occurs and is_concrete(t, bound)))
    return Compiled(rule, p, pvars, types, tvars, spec, eq_type, isinstance(p, Num),
                    rigid_vars, generic, tuple(symbols), match_steps(p, pvars),
                    dot_receivers(_with_new_text(p, rule), pvars, names, btypes),
                    rule_keys(rule), higher_order,
                    frozenset(v for t in nodes(p) for v in [bracket_var(t, pvars)] if v),
                    "." not in rule.lemma)


def _set_typed(t: Term | None) -> bool:
    """Is a rule binder typed `Set α` (resolved)?  (`rigid.SET`)"""
    return isinstance(t, App) and isinstance(t.fn, Ident) and t.fn.name == "Set"


# Words of a lemma name that say how it is stated, not what it is about (`_iff`, `of_`).
GLUE_WORDS = frozenset({"of", "iff", "eq", "ne", "def", "apply", "left", "right", "symm",
                        "self", "mk", "aux"})


def name_words(full_name: str) -> frozenset[str]:
    """The words of a declaration's last name component (`Finset.card_union_add_card_inter`
    -> card, union, add, inter), primes dropped, without `GLUE_WORDS` and one-letter ones.
    Mathlib names a lemma after the constants and operations of its statement, so a rule
    whose name shares a word with the candidate's rewrites what the candidate is about."""
    last = full_name.rpartition(".")[2].replace("'", "")
    return frozenset(w for w in last.split("_") if len(w) > 1 and w not in GLUE_WORDS)


def rule_keys(r: Rule) -> tuple[str, ...]:
    """What makes a rule *near* a candidate (`RuleIndex` tries near rules first): its
    module (`m:`), its lemma's namespace (`n:`, none at the root) and the words of its
    name (`w:`, `name_words`)."""
    ns = r.lemma.rpartition(".")[0]
    words = tuple(sorted(f"w:{w}" for w in name_words(r.lemma)))
    return ((f"m:{r.module}", f"n:{ns}") if ns else (f"m:{r.module}",)) + words


def _with_new_text(p: Term, rule: Rule) -> list[Term]:
    """The pattern and the rule's text a mutant writes: replacement, side conditions and
    antecedents (only those that mention a dotted name are decoded)."""
    out = [p]
    for text in (rule.replacement, *rule.side_conditions, *rule.antecedents):
        if text and "." in text:
            t = loads(text)
            if t is not None:
                out.append(t)
    return out


ConstEq = Callable[[str, Ident, Ident], bool]


def suffix_const_eq(pname: str, w: Ident, r: Ident) -> bool:
    """Without resolution: a written name matches a rule constant it is a suffix of
    (universe levels aside, as `Resolver.resolve_term` drops them)."""
    name = without_levels(r.name)
    if pname == name:
        return True
    if name.startswith("_root_."):
        return pname == name[len("_root_."):]
    return pname.endswith("." + name)


class TermMatcher:
    """One first-order match of a pattern against a candidate sub-term (`match`): the
    bindings of pattern variables, the respellings of rule constants and whether bound
    variables are named differently, accumulated while walking both trees."""

    __slots__ = ("pattern_vars", "subst", "respell", "const_eq", "inner_bound", "renamed",
                 "shapes_checked", "higher_order")

    def __init__(self, pattern_vars: frozenset[str], const_eq: ConstEq,
                 shapes_checked: bool = False,
                 higher_order: frozenset[str] = frozenset()) -> None:
        self.shapes_checked = shapes_checked  # the trie already compared the node shapes
        self.higher_order = higher_order  # variables bound by `bind_abstraction`
        self.pattern_vars = pattern_vars
        self.subst: dict[str, Term] = {}
        self.respell: dict[str, str] = {}
        self.const_eq = const_eq
        self.inner_bound: set[str] = set()  # candidate names bound inside the instance
        self.renamed = False  # some bound variable has another name in the candidate

    def match_term(self, pattern: Term, written: Term, resolved: Term,
                   bound_names: dict[str, str], bound_here: frozenset[str]) -> bool:
        """Whether `pattern` matches the candidate's `written` sub-term (`resolved`: the
        same sub-term with constants resolved).  `bound_names` maps each name the pattern
        binds above this point to the candidate's name at the same place; `bound_here`
        are the candidate names bound inside the matched instance above this point."""
        if isinstance(pattern, Ident):
            return self.match_ident(pattern.name, written, resolved, bound_names, bound_here)
        if bound_names and isinstance(pattern, App) and isinstance(pattern.fn, Ident):
            args = higher_order_args(pattern, self.pattern_vars, bound_names)
            if args is not None:
                if pattern.fn.name in self.higher_order:
                    return self.bind_abstraction(
                        pattern.fn.name, tuple(bound_names.get(a, a) for a in args), written)
                if type(written) is not App or shape(pattern) != shape(written):
                    return False  # a bundled map's `⇑f x`: the trie did not compare it
        if type(pattern) is BinOp and "[" in pattern.op:  # type: ignore[attr-defined]
            var = bracket_var(pattern, self.pattern_vars)
            if var is not None:
                return self.match_bracket(var, pattern, written, resolved, bound_names,
                                          bound_here)
        skip_type = untyped_against_typed(pattern, written)
        if not self.shapes_checked and (type(pattern) is not type(written) or shape(
                pattern) != (untyped_symbol(shape(written)) if skip_type else shape(written))):
            return False
        binding = isinstance(pattern, BINDING_NODES)
        pch = list(children(pattern))
        wch = list(children(written))
        rch = list(children(resolved)) if resolved is not written else wch
        if len(rch) != len(wch):
            rch = wch
        if skip_type:  # the type is the group's first child (`patterns.untyped_symbol`)
            wch, rch = wch[1:], rch[1:]
        if len(pch) != len(wch):
            return False
        for (f, i, pc), (_, _, wc), (_, _, rc) in zip(pch, wch, rch):
            names, here = bound_names, bound_here
            if binding:
                pb = bound_in_child(pattern, f, i)
                wb = bound_in_child(written, f, i)
                if len(pb) != len(wb):
                    return False
                if pb:
                    names = dict(bound_names)
                    names.update(zip(pb, wb))
                    if pb != wb:
                        self.renamed = True
                    here = bound_here | frozenset(wb)
                    self.inner_bound.update(wb)
            if not self.match_term(pc, wc, rc, names, here):
                return False
        return True

    def match_bracket(self, var: str, pattern: BinOp, written: Term, resolved: Term,
                      bound_names: dict[str, str], bound_here: frozenset[str]) -> bool:
        """A bracketed operator whose bracket is the pattern variable `var` (`f =O[l] g`)
        against an operator of the same family (`u =O[atTop] v`): `var` binds the
        candidate's bracket read as a term (`bracket_value`), then both operands match."""
        if type(written) is not BinOp:
            return False
        assert isinstance(written, BinOp)
        got, want = bracket_parts(written.op), bracket_parts(pattern.op)
        if got is None or want is None or got[0] != want[0]:
            return False
        value = bracket_value(got[1])
        if value is None or not self.bind(var, "", "", value, bound_here):
            return False
        r = resolved if isinstance(resolved, BinOp) else written
        return (self.match_term(pattern.lhs, written.lhs, r.lhs, bound_names, bound_here)
                and self.match_term(pattern.rhs, written.rhs, r.rhs, bound_names,
                                    bound_here))

    def match_ident(self, name: str, written: Term, resolved: Term,
                    bound_names: dict[str, str], bound_here: frozenset[str]) -> bool:
        """An identifier of the pattern: a name it binds, a pattern variable (possibly
        dotted, `x.f`) or a rule constant."""
        head, dot, rest = name.partition(".")
        if head in bound_names:  # a variable bound inside the pattern
            if not isinstance(written, Ident):
                return False
            wh, wd, wr = written.name.partition(".")
            return wh == bound_names[head] and wr == rest and bool(wd) == bool(dot)
        if head in self.pattern_vars:
            return self.bind(head, dot, rest, written, bound_here)
        # a constant of the rule
        if not isinstance(written, Ident) or not isinstance(resolved, Ident):
            return False
        if written.name.split(".", 1)[0] in bound_here:
            return False  # a locally bound name, not the constant
        if not self.const_eq(name, written, resolved):
            return False
        if written.name != name:
            prev = self.respell.get(name)
            if prev is not None and prev != written.name:
                return False
            self.respell[name] = written.name
        return True

    def bind(self, var: str, dot: str, rest: str, written: Term,
             bound_here: frozenset[str] = frozenset()) -> bool:
        """Bind pattern variable `var` (used as `var.rest` when dotted) to `written`;
        False when it is already bound to something else or would capture a name bound
        inside the instance above this place (`bound_here`).  Why not any name bound
        somewhere in the instance: in `ev (fun x ↦ h x) x` the last `x` is free, and Lean
        binds it (`Bundle.contMDiffWithinAt_section` on a section's `fun x ↦ …` at `x`)."""
        if dot:
            # `x.rest` binds `x` to the receiver of the candidate's `y.rest` or
            # `y.g.rest` (a longer field chain of a variable: `x := y.g`)
            if not isinstance(written, Ident):
                return False
            wh, wd, wr = written.name.partition(".")
            if not wd:
                return False
            if wr == rest:
                value: Term = Ident(wh)
            elif wr.endswith("." + rest):
                value = Ident(f"{wh}.{wr[:-len(rest) - 1]}")
            else:
                return False
        else:
            value = written
            if isinstance(value, BinOp) and value.op == "..":
                return False  # `∫ x in a..b` is its own notation: `a..b` is no set
        if bound_here and heads(value) & bound_here:
            return False  # would capture a variable bound inside the instance
        prev = self.subst.get(var)
        if prev is not None:
            return prev == value
        self.subst[var] = value
        return True

    def bind_abstraction(self, var: str, names: tuple[str, ...], written: Term) -> bool:
        """Bind the higher-order variable `var`, applied in the pattern to the names the
        candidate binds as `names`, to `written` abstracted over them (`abstraction`), as
        Lean's unifier solves `?p i x =?= t`.  False when the candidate binds two of them
        alike (shadowing), when `written` mentions another name bound inside the instance
        (no capture), or when `var` is already bound to another function."""
        if len(set(names)) != len(names):
            return False
        value = abstraction(names, written)
        if self.inner_bound and heads(value) & self.inner_bound:
            return False
        prev = self.subst.get(var)
        if prev is not None:
            return prev == value or alpha_equal(prev, value)
        self.subst[var] = value
        return True


_BRACKET_VALUES: dict[str, Term | None] = {}


def bracket_value(content: str) -> Term | None:
    """The term an operator's bracket holds (`atTop`, `𝓝[≠] x`), None when the grammar
    does not read it fully or prints it otherwise: substitution writes the printed value
    back into the operator (`grammar.substitute`), which must give the candidate's text."""
    if content in _BRACKET_VALUES:
        return _BRACKET_VALUES[content]
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.grammar.printer import print_term

    t: Term | None = parse_term(content.strip())
    if t is None or any(isinstance(x, (Opaque, Hole)) for x in nodes(t)) \
            or print_term(t) != content.strip():
        t = None
    if len(_BRACKET_VALUES) > 100_000:
        _BRACKET_VALUES.clear()
    _BRACKET_VALUES[content] = t
    return t


def abstraction(names: tuple[str, ...], body: Term) -> Term:
    """`fun names => body`, eta-reduced: `g a` for `body = g a i x` and `names = (i, x)`
    when `g a` mentions neither (`f := g` for `∑ i ∈ s, g i`, as a first-order match of
    `f i` binds it)."""
    n = len(names)
    if isinstance(body, App) and len(body.args) >= n and not any(
            isinstance(a, NamedArg) for a in body.args):
        tail, rest = body.args[len(body.args) - n:], body.args[:len(body.args) - n]
        if all(isinstance(a, Ident) and a.name == y for a, y in zip(tail, names)):
            fn = App(body.fn, rest) if rest else body.fn
            if not heads(fn) & frozenset(names):
                return fn
    return Quant("fun", (BinderGroup(names),), body, "=>")


def match(c: Compiled, w: Term, r: Term | None = None, const_eq: ConstEq = suffix_const_eq,
          trusted: bool = False) -> tuple[dict[str, Term], dict[str, str], bool] | None:
    """(substitution, respellings, renamed) when `c.pattern` matches the written term `w`
    (with resolved twin `r`) up to the names of bound variables, else None; `renamed`
    says whether a bound variable is named differently in the candidate.  `trusted`: the
    discrimination tree already checked that every node shape agrees."""
    mt = TermMatcher(c.pvars, const_eq, trusted, c.higher_order)
    if not mt.match_term(c.pattern, w, r if r is not None else w, {}, frozenset()):
        return None
    return mt.subst, mt.respell, mt.renamed


def match_flat(c: Compiled, fl: "Flat", i: int, const_eq: ConstEq = suffix_const_eq
               ) -> tuple[dict[str, Term], dict[str, str], bool] | None:
    """`match(c, fl.written[i], fl.resolved[i], const_eq, trusted=True)` for a pattern
    with `steps`, as one loop over the flattened candidate instead of a recursion over
    both trees.  Why: matching is most of the index's time, and with node shapes already
    compared by the trie only variables and constants are left to check.  Same result:
    the same pre-order walk, bindings and respellings (a test compares both)."""
    steps = c.steps
    if steps is None:
        got = match(c, fl.written[i], fl.resolved[i], const_eq, True)
        if got is not None and c.brackets and fl.bound[i] and any(
                heads(got[0][v]) & fl.bound[i] for v in c.brackets if v in got[0]):
            return None  # a bracket naming a variable bound above: `rw` cannot go there
        return got
    written, resolved, ends = fl.written, fl.resolved, fl.ends
    subst: dict[str, Term] = {}
    respell: dict[str, str] = {}
    j = i
    for step, name in steps:
        if step == _NODE:
            j += 1
            continue
        w = written[j]
        if step == _VAR:
            prev = subst.get(name)
            if prev is None:
                subst[name] = w
            elif prev != w:
                return None
            j = ends[j]
            continue
        r = resolved[j]
        if not isinstance(w, Ident) or not isinstance(r, Ident) or not const_eq(name, w, r):
            return None
        if w.name != name:
            prev_name = respell.get(name)
            if prev_name is not None and prev_name != w.name:
                return None
            respell[name] = w.name
        j += 1
    return subst, respell, False


def type_ok(c: Compiled, subst: dict[str, Term], hints: dict[int, Hint],
            node: Term, rigid_last: frozenset[str] = frozenset(),
            evidence: Callable[[], bool] | None = None) -> str | None:
    """The type filter (module doc): None when the match may type-check, else the reason
    to drop it.  `hints` are the candidate's (`infer_hints`), `node` the matched sub-term.

    - `numeral_pattern`: a bare numeral pattern (`0`) is kept only when both the rule's
      equation type and the candidate numeral's type are known and equal;
    - `type_mismatch`: the equation type differs from the sub-term's, a pattern variable's
      closed type from its value's, or one rule type variable (`α`) gets two different
      types (exact hints only);
    - `rigid_mismatch`: a pattern variable whose type has a rigid head (`rigid_head`) gets a
      value that cannot have it (`rigid_clash`);
    - `untyped_generic`: a constant-free pattern (`?a = ?b`, `?x ∈ ?s`, `?f ?x`) whose
      variables have concrete types (`m n : ℕ`, `μ : Measure ℝ`, `A : Matrix m n α`,
      `x : ∀ i, β i`) matched values none of which has a type hint: nothing ties the match
      to the rule's types (a pattern of type variables only, `a = b ↔ b = a`, needs no
      evidence); `evidence`, asked last, may find some (`match.results`: `Ioo a b`
      applies a definition returning a `Finset`)."""
    nh = hints.get(id(node))
    if c.bare_num:
        if c.eq_type is not None and nh is not None and nh[1] and nh[0] == c.eq_type:
            return None
        if c.eq_type is not None and not compatible(c.eq_type, nh):
            return "type_mismatch"
        return "numeral_pattern"
    if c.eq_type is not None and not compatible(c.eq_type, nh):
        return "type_mismatch"
    for v, want in c.heads:
        val = subst.get(v)
        h = hints.get(id(val)) if val is not None else None
        if h is not None and rigid_clash(want, h, rigid_last):
            return "rigid_mismatch"
    if c.generic and not any(id(subst[v]) in hints for v in c.generic if v in subst) and (
            evidence is None or not evidence()):
        return "untyped_generic"
    if not c.types:
        return None
    tv: dict[str, str] = {}
    for v, want in c.types.items():
        val = subst.get(v)
        if val is None:
            continue
        h = hints.get(id(val))
        if h is None:
            continue
        if want.startswith("?"):
            if not h[1]:
                continue
            prev = tv.get(want)
            if prev is not None and prev != h[0]:
                return "type_mismatch"
            tv[want] = h[0]
        elif not compatible(want, h):
            return "type_mismatch"
    return None

"""The discrimination tree (trie) over pattern symbols: a candidate sub-term retrieves
only the rules whose skeleton fits, and those few are matched exactly (`matcher`).

Why not "try every rule on every sub-term": Mathlib has ~300k directed rewrite rules and
millions of sub-terms; the Alchemy authors paid Lean ~131 pairs a second for that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from lean_alchemy.grammar.ast import BRACKET, COE, NOTE, App, BinOp, Term, view_at
from lean_alchemy.grammar.parser import bracket_term
from lean_alchemy.grammar.walk import heads
from lean_alchemy.grammar.notation_views import note_view
from lean_alchemy.index.match.patterns import (
    WILD, Flat, coe_spans, field_chain_views, head_symbol, notation_views, prefix_flat,
    prefix_spans, view_flat,
)

if TYPE_CHECKING:
    from lean_alchemy.index.match.fields import FieldViews
    from lean_alchemy.index.match.notations import NotationTable


def _unresolved(t: Term) -> Term:
    """A term as written: the resolution of a view when the index has no resolver."""
    return t


class Trie:
    """A discrimination tree: nested dicts keyed by symbol; rule slots at the leaves."""

    __slots__ = ("root", "size")
    LEAF = "\x00leaf"

    def __init__(self) -> None:
        self.root: dict = {}
        self.size = 0

    def insert(self, syms: Sequence[object], value: object, leaf_type: type = list) -> None:
        """Add `value` under the symbol sequence; `leaf_type` (a list subclass) marks the
        leaf, which keeps its values and their order."""
        node = self.root
        for s in syms:
            nxt = node.get(s)
            if nxt is None:
                nxt = node[s] = {}
            node = nxt
        leaf = node.get(self.LEAF)
        if leaf is None:
            leaf = node[self.LEAF] = leaf_type()
        elif leaf_type is not list and type(leaf) is not leaf_type:
            leaf = node[self.LEAF] = leaf_type(leaf)
        leaf.append(value)
        self.size += 1

    def retrieve(self, fl: Flat, start: int) -> list:
        """Values of every pattern whose skeleton fits the sub-term at `start`."""
        out: list = []
        for vals in self.leaves(fl, start):
            out.extend(vals)
        return out

    def leaves(self, fl: Flat, start: int) -> list[list]:
        """The leaf lists `retrieve` concatenates, in the same order.  Why: a common
        sub-term fits thousands of patterns; the index counts and samples them through
        these lists instead of copying every (rule, sub-term) pair.  All values of one
        leaf share one symbol sequence, hence one `Compiled.specificity`."""
        return self._walk(fl, [(self.root, start)], fl.ends[start])

    def prefix_leaves(self, fl: Flat, start: int, k: int, stop: int) -> list[list]:
        """`leaves` of the prefix `f a₁ … aₖ` of the application at `start`, whose pre-order
        ends at `stop` (`patterns.prefix_spans`): the node's symbol with `k` arguments,
        then the same symbols as the application's, up to `stop`."""
        sym = fl.syms[start]
        assert isinstance(sym, tuple) and sym[0] == "App"
        node = self.root.get(sym[:-1] + (k,))
        return self._walk(fl, [(node, start + 1)], stop) if node is not None else []

    COE_SYM = ("Prefix", "⇑", 1)

    def coerced_leaves(self, fl: Flat, start: int, k: int, stop: int) -> list[list]:
        """`leaves` of `⇑(f a₁ … aₖ)` (`⇑f` for k = 0) for the application at `start`
        (`patterns.coe_spans`): the coercion's symbol, then the prefix's.  The function
        must be the pattern's own constant, not a pattern variable: `⇑φ = (·⁻¹)` would
        otherwise rewrite the function of every application."""
        node = self.root.get(self.COE_SYM)
        if node is not None and k:
            sym = fl.syms[start]
            assert isinstance(sym, tuple) and sym[0] == "App"
            node = node.get(sym[:-1] + (k,))
        if node is not None:
            node = node.get(fl.syms[start + 1])  # the function: no wildcard
        return self._walk(fl, [(node, start + 2)], stop) if node is not None else []

    def view_leaves(self, fl: Flat, i: int, locals_: frozenset[str],
                    fields: "FieldViews | None" = None,
                    notes: "NotationTable | None" = None) -> list[tuple[Flat, list[list]]]:
        """(view, its leaves) for each view of the sub-term at `i` that some pattern fits:
        the application's prefixes (`prefix_leaves`), their coercions (`coerced_leaves`),
        the notation views (`patterns.notation_views`), the shorter field chains of a
        variable's (`patterns.field_chain_views`), the term in an operator's bracket
        (`_bracket_leaves`), then the other spelling of field
        notation (`fields`, `match.fields`) and of the library's notations (`notes`,
        `match.notations`); the view's sub-term is its index 0.  One enumeration for the index and `alchemy explain`, so that both see
        the same candidates; a prefix's or coercion's view is built only when a pattern
        fits it."""
        out: list[tuple[Flat, list[list]]] = []
        for k, stop in prefix_spans(fl, i):
            found = self.prefix_leaves(fl, i, k, stop)
            if found:
                out.append((prefix_flat(fl, i, k, locals_), found))
        for k, stop in coe_spans(fl, i):
            found = self.coerced_leaves(fl, i, k, stop)
            if found:
                out.append((view_flat(fl, i, COE, k, locals_), found))
        views = notation_views(fl, i) + field_chain_views(fl, i)
        if fields is not None:
            views = views + [(step, k) for step, k in fields.steps(fl, i)
                             if self._head_fits(view_at(fl.written[i], step, k), locals_)]
        if notes:
            w = fl.written[i]
            for step, k in notes.steps(w, fl.resolved[i], locals_ | fl.bound[i]):
                seen = note_view(w, step)
                if seen is not None and (self._head_fits(seen, locals_)
                                         or self._prefix_fits(seen)):
                    views = views + [(step, k)]
        if fl.family is not None and i in fl.family:
            found_in = self._bracket_leaves(fl, i, locals_, fields)
            if found_in is not None:
                out.append(found_in)
        for step, k in views:
            sub = view_flat(fl, i, step, k, locals_)
            found = self.leaves(sub, 0)
            if found:
                out.append((sub, found))
            if step.startswith(NOTE):  # `Set.preimage h` in `h ⁻¹' s`: a curried prefix
                for k2, stop in prefix_spans(sub, 0):
                    found = self.prefix_leaves(sub, 0, k2, stop)
                    if found:
                        out.append((prefix_flat(sub, 0, k2, locals_), found))
        return out

    def _bracket_leaves(self, fl: Flat, i: int, locals_: frozenset[str],
                        fields: "FieldViews | None") -> tuple[Flat, list[list]] | None:
        """(view, leaves) of the term in the bracket of the operator at `i`
        (`grammar.ast.BRACKET`: `𝓝 (x, y)` in `f =ᶠ[𝓝 (x, y)] g`), resolved in the
        candidate's scope; None when no pattern fits it or it names a variable bound
        above (`rw` cannot rewrite there)."""
        w = fl.written[i]
        assert isinstance(w, BinOp)
        inner = bracket_term(w.op)
        if inner is None or not (self._head_fits(inner, locals_) or self._prefix_fits(inner)):
            return None
        if fl.bound[i] and heads(inner) & fl.bound[i]:
            return None
        sub = view_flat(fl, i, BRACKET, -1, locals_,
                        fields.resolve if fields is not None else _unresolved)
        found = self.leaves(sub, 0)
        return (sub, found) if found else None

    def _prefix_fits(self, t: Term) -> bool:
        """Whether some pattern starts with a proper prefix of the application `t`."""
        if not isinstance(t, App) or len(t.args) < 2:
            return False
        sym = head_symbol(t, frozenset())
        return isinstance(sym, tuple) and any(
            self.root.get(sym[:-1] + (k,)) is not None for k in range(1, len(t.args)))

    def _head_fits(self, t: Term, locals_: frozenset[str]) -> bool:
        """Whether some pattern starts with `t`'s symbol and, for an application, its
        function's: a cheap test before a view is flattened (most field-notation views
        fit no pattern)."""
        node = self.root.get(head_symbol(t, locals_))
        if node is None or not isinstance(t, App):
            return node is not None
        return node.get(head_symbol(t.fn, locals_)) is not None or WILD in node

    def _walk(self, fl: Flat, stack: list, stop: int) -> list[list]:
        syms, ends, untyped, family = fl.syms, fl.ends, fl.untyped, fl.family
        out: list = []
        leaf = self.LEAF
        while stack:
            node, i = stack.pop()
            if i == stop:
                vals = node.get(leaf)
                if vals:
                    out.append(vals)
                continue
            w = node.get(WILD)
            if w is not None:
                stack.append((w, ends[i]))
            c = node.get(syms[i])
            if c is not None:
                stack.append((c, i + 1))
            if family is not None and i in family:
                # a bracketed operator: also the patterns whose bracket is a variable
                # (`patterns.bracket_var`)
                c = node.get(family[i])
                if c is not None:
                    stack.append((c, i + 1))
            if untyped and i in untyped:
                # a typed binder group under an untyped pattern binder: skip the type,
                # its first child (`patterns.untyped_symbol`)
                c = node.get(untyped[i])
                if c is not None:
                    stack.append((c, ends[i + 1]))
        return out

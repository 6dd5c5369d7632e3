"""Declaration-level parsing: a `Declaration`'s binders and conclusion as ASTs.

Why here (and not in extraction): the extractor stays a fast text slicer; this module is
the one place that turns a record's statement text into ASTs and a parse status, and it is
called inside extraction workers (`annotate_declaration` must never raise: a grammar bug
must not lose a record).  Serialized forms are `grammar.ast.dumps` strings so records stay
plain data.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from lean_alchemy.core.records import Binder, Declaration, Scope
from lean_alchemy.grammar.ast import (
    BinderGroup, Opaque, Term, dumps, from_data, json_value, loads, opaque_nodes, to_data,
)
from lean_alchemy.grammar.parser import parse_binders, parse_term

MAX_ERROR = 300
_OPAQUE_TAG = '["Opaque",'  # how `ast.dumps` writes an Opaque node


def _merge(binders: tuple[Binder, ...]) -> list[tuple[tuple[str, ...], str, str | None]]:
    """Consecutive binders of one kind and type text become one group (`(a b : α)`)."""
    out: list[tuple[tuple[str, ...], str, str | None]] = []
    for b in binders:
        if (out and b.name and out[-1][0] and out[-1][1] == b.kind and out[-1][2] == b.type
                and b.kind != "inst"):
            names, kind, ty = out[-1]
            out[-1] = (names + (b.name,), kind, ty)
        else:
            out.append(((b.name,) if b.name else (), b.kind, b.type))
    return out


def binders_of(binders: tuple[Binder, ...]) -> tuple[BinderGroup, ...]:
    """Binder groups of a declaration's `Binder` records (each type parsed on its own, so
    one unparsable type stays local to its group)."""
    return tuple(_group(names, kind, ty)[0] for names, kind, ty in _merge(binders))


# Binder groups repeat enormously across Mathlib (`{α : Type*}`, `[CommRing R]`, `(x : α)`):
# each distinct (names, kind, type text) is parsed and serialized once per process.  ASTs
# are immutable, so sharing a group between declarations is safe.  Bounded: cleared when
# full (a worker's whole-Mathlib share has ~60k distinct groups).
_GROUP_MEMO: dict[tuple, tuple[BinderGroup, str]] = {}
_CONCL_MEMO: dict[str, tuple[Term, str]] = {}
MEMO_MAX = 1 << 17
# conclusions repeat far less (13% of Mathlib's are duplicates, mostly close together):
# a small memo keeps the memory of a worker's ~90k one-off conclusion ASTs free
CONCL_MEMO_MAX = 1 << 14


def _group(names: tuple[str, ...], kind: str, ty: str | None) -> tuple[BinderGroup, str]:
    """(group, its compact JSON) for one merged binder group, memoized."""
    key = (names, kind, ty)
    hit = _GROUP_MEMO.get(key)
    if hit is not None:
        return hit
    default = None
    if ty is not None:
        cut = top_level_colon(ty, assign=True)
        if cut >= 0 and not _LET_START.match(ty):  # `(h : letI := i; P)`: a type
            ty, default = ty[:cut], parse_term(ty[cut + 2:])
    g = BinderGroup(names, parse_term(ty) if ty is not None else None, kind,
                    None, None, default)
    hit = (g, json.dumps(to_data(g), ensure_ascii=False, separators=(",", ":")))
    if len(_GROUP_MEMO) >= MEMO_MAX:
        _GROUP_MEMO.clear()
    _GROUP_MEMO[key] = hit
    return hit


def _conclusion(text: str) -> tuple[Term, str]:
    """(term, `dumps(term)`) of a conclusion text, memoized like binder groups."""
    hit = _CONCL_MEMO.get(text)
    if hit is not None:
        return hit
    t = parse_term(text)
    hit = (t, dumps(t))
    if len(_CONCL_MEMO) >= CONCL_MEMO_MAX:
        _CONCL_MEMO.clear()
    _CONCL_MEMO[text] = hit
    return hit


_LET_START = re.compile(r"\s*(?:let|have|haveI|letI)(?![\w'!?₀-₉])")


def top_level_colon(s: str, assign: bool = False) -> int:
    """Index of the first `:` outside brackets that does not begin `:=` (with `assign`: of
    the first `:=`), or -1.  Why one scanner: a signature's conclusion, a binder's type and
    an optional binder's value are all found by this rule (binder types sit in brackets)."""
    depth = 0
    for i, c in enumerate(s):
        if c in "([{⟨⦃":
            depth += 1
        elif c in ")]}⟩⦄":
            depth -= 1
        elif c == ":" and depth == 0 and s.startswith(":=", i) == assign:
            return i
    return -1


def _opaque_spans(terms: list[Term | None]) -> list[str]:
    out: list[str] = []
    for t in terms:
        if t is not None:
            out.extend(o.text for o in opaque_nodes(t))
    return out


def annotate_declaration(decl: Declaration, scope: Scope | None = None) -> Declaration:
    """`decl` with binders_ast/conclusion_ast and parse_status (full/partial/failed) filled."""
    try:
        if decl.conclusion is None or not decl.conclusion.strip():
            return replace(decl, parse_status="failed", parse_error="no conclusion")
        pairs = [_group(names, kind, ty) for names, kind, ty in _merge(decl.binders)]
        groups = tuple(g for g, _ in pairs)
        concl, concl_s = _conclusion(decl.conclusion)
        # == dumps_binders(groups): json.dumps encodes list items independently
        groups_s = "[" + ",".join(js for _, js in pairs) + "]"
        # the serialized forms are needed anyway; walking the trees only when an Opaque
        # node can be there saves ~10% of the whole-Mathlib annotation time
        spans = (_opaque_spans([concl] + [g for g in groups])
                 if _OPAQUE_TAG in concl_s or _OPAQUE_TAG in groups_s else [])
        if spans:
            status = "partial"
            err = "; ".join(s[:80] for s in spans)[:MAX_ERROR]
        else:
            status, err = "full", None
        if isinstance(concl, Opaque):
            status = "partial"
        return replace(decl, parse_status=status, parse_error=err,
                       binders_ast=groups_s, conclusion_ast=concl_s)
    except Exception as e:  # noqa: BLE001 - must not raise inside extraction workers
        return replace(decl, parse_status="failed",
                       parse_error=f"{type(e).__name__}: {e}"[:MAX_ERROR])


def statement_mismatch(decl: Declaration, groups: tuple[BinderGroup, ...], conclusion: Term,
                       lexicon, show=None) -> str | None:
    """None when the printed conclusion and binder types of a parsed statement lex to the
    tokens of `decl`'s source text (`grammar.tokens.first_difference` with `lexicon`), else
    a short description of the first difference.  Why: a glued notation read as something
    else (`f^[n]` as `f ^ [n]`) round-trips through the grammar but prints another term;
    mutants printed from such a tree would not state what their source states."""
    from lean_alchemy.grammar.printer import print_term
    from lean_alchemy.grammar.tokens import first_difference

    show = show or print_term
    pairs: list[tuple[str, str]] = []
    if decl.conclusion:
        pairs.append((decl.conclusion, show(conclusion)))
    merged = _merge(decl.binders)
    if len(merged) == len(groups):
        for (_, _, ty), g in zip(merged, groups):
            if ty is not None and g.type is not None:
                printed = show(g.type)
                if g.default is not None:
                    printed += " := " + show(g.default)
                pairs.append((ty, printed))
    for src, printed in pairs:
        diff = first_difference(src, printed, lexicon)
        if diff is not None:
            k, a, b = diff
            return f"token {k}: {a!r} printed as {b!r}"
    return None


def dumps_binders(groups: tuple[BinderGroup, ...] | list[BinderGroup]) -> str:
    """Compact JSON list of binder groups (same node encoding as `ast.dumps`)."""
    return json.dumps([to_data(g) for g in groups], ensure_ascii=False, separators=(",", ":"))


def loads_binders(s: str | None) -> tuple[BinderGroup, ...]:
    """Inverse of `dumps_binders` (groups equal to the ones dumped).  Not memoized on
    purpose: a memo of decoded groups keeps them alive into the oldest GC generation, and
    on a whole-Mathlib run the extra full collections cost more than the decoding saved."""
    if not s:
        return ()
    return tuple([from_data(d) for d in json_value(s)])  # type: ignore[misc, union-attr]


def decl_binders(decl: Declaration) -> tuple[BinderGroup, ...]:
    """The declaration's parsed binder groups (parsed now if the record is unannotated)."""
    if decl.binders_ast:
        return loads_binders(decl.binders_ast)
    return binders_of(decl.binders)


def decl_conclusion(decl: Declaration) -> Term | None:
    if decl.conclusion_ast:
        return loads(decl.conclusion_ast)
    if decl.conclusion is None:
        return None
    return parse_term(decl.conclusion)


def scope_binders(scope: Scope) -> tuple[BinderGroup, ...]:
    """Binder groups of the `variable` commands in force (section variables).  A binder
    update (`variable {R}` for an `R` declared before) changes the earlier binder's kind in
    place, as Lean does, instead of adding an untyped binder that would shadow it."""
    out: list[BinderGroup] = []
    for kind, text in scope.commands:
        if kind != "variable":
            continue
        body = text.strip()
        if body.startswith("variable"):
            body = body[len("variable"):]
        for g in parse_binders(body):
            if not _binder_update(out, g):
                out.append(g)
    return tuple(out)


def _binder_update(out: list[BinderGroup], g: BinderGroup) -> bool:
    """Apply `g` to `out` when it is a binder update (no type, every name declared by an
    earlier non-instance group): the declaring group is split so that each updated name
    takes `g`'s kind at its original position.  False (nothing changed) otherwise."""
    if g.type is not None or g.kind == "inst" or g.pred is not None or g.default is not None \
            or not g.names:
        return False

    def declaring(name: str) -> int | None:
        return next((j for j in range(len(out) - 1, -1, -1)
                     if out[j].kind != "inst" and name in out[j].names), None)

    if any(declaring(n) is None for n in g.names):
        return False
    for n in g.names:
        j = declaring(n)
        assert j is not None
        grp = out[j]
        if grp.kind == g.kind:
            continue
        k = grp.names.index(n)
        parts = [replace(grp, names=grp.names[:k])] if k else []
        parts.append(replace(grp, names=(n,), kind=g.kind))
        if k + 1 < len(grp.names):
            parts.append(replace(grp, names=grp.names[k + 1:]))
        out[j:j + 1] = parts
    return True


__all__ = ["annotate_declaration", "statement_mismatch", "dumps_binders", "loads_binders", "decl_binders",
           "decl_conclusion", "scope_binders", "binders_of", "dumps", "loads"]

"""Where generalized field notation puts its receiver: `x.f a` is `T.f … x … a`.

Lean reads `x.f a` (with `x : T …`) as `T.f` applied to `x` as the *first explicit
argument whose type has head `T`*, the other explicit arguments in order.  The position is
a fact of `T.f`'s signature, which the extraction does not hold for definitions (their
binders are not parsed).  The library's own statements show it: an application `T.f a₀ …
aₙ` (resolved) whose argument `aₚ` is a variable of declared type `T …` while every
argument before it has a known type of another head (a type variable, another constant, a
function type, a sort) is evidence that the receiver of `T.f` is its p-th explicit
argument.  Pass 1 of the index stage collects this evidence from each theorem's resolved
binder types and conclusion (`collect`, at no extra resolution), and the table keeps each
constant's most frequent position (`table`).  Constants without evidence get no entry:
their dot spellings stay unmatched, as before.

The table is stored as `RUN/receivers.parquet` (`write_table`/`read_table`) so that
`alchemy explain` sees what pass 2 saw; with `--rules-from`, a dependency run's entries
fill the constants the project's statements show nothing about.  Its uses: the candidate views of
`index.match.patterns.field_views`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.grammar.ast import App, BinOp, Ident, NamedArg, Sort, Term, Typed, subterms
from lean_alchemy.index.dot_notation import type_head
from lean_alchemy.index.sources import source_bytes

SCHEMA = pa.schema([
    pa.field("name", pa.string(), nullable=False),  # `T.f`, resolved
    pa.field("position", pa.int32(), nullable=False),  # the receiver's explicit position
    pa.field("evidence", pa.int32(), nullable=False),  # applications that showed it
    # no other declaration or structure field of the library ends in `f` (`sole_fields`)
    pa.field("sole", pa.bool_(), nullable=False),
])
FILE = "receivers.parquet"

# the head of an argument's type is unknown: no evidence from this application
_UNKNOWN = object()


def _arg_head(a: Term, type_of: Mapping[str, Term | None], bound: frozenset[str]
              ) -> object:
    """The head constant of an argument's type (`type_head`), "" for a type that certainly
    has no constant head (a function type, a sort, a type variable is its own name), or
    `_UNKNOWN`."""
    if isinstance(a, Typed):
        ty: Term | None = a.type
    elif isinstance(a, Ident) and a.name not in bound and a.name in type_of:
        ty = type_of[a.name]
    else:
        return _UNKNOWN
    if ty is None:
        return _UNKNOWN
    if isinstance(ty, Sort) or (isinstance(ty, BinOp) and ty.op == "→"):
        return ""
    h = type_head(ty)
    return _UNKNOWN if h is None else h


def receiver_position(namespace: str, args: tuple[Term, ...],
                      type_of: Mapping[str, Term | None], bound: frozenset[str]
                      ) -> int | None:
    """The position this application shows for the receiver of `namespace.f`, or None."""
    for i, a in enumerate(args):
        if isinstance(a, NamedArg):
            return None
        h = _arg_head(a, type_of, bound)
        if h is _UNKNOWN:
            return None
        if h == namespace:
            return i
    return None


def collect(t: Term, type_of: Mapping[str, Term | None], out: Counter) -> None:
    """Add the evidence of every application of a namespaced constant in the resolved
    term `t` (`type_of`: the statement's variables and their resolved types)."""
    for _, s, bound in subterms(t):
        if not (isinstance(s, App) and isinstance(s.fn, Ident)):
            continue
        ns, dot, _ = s.fn.name.rpartition(".")
        if not dot or not ns or ns.startswith("@") or ns.split(".", 1)[0] in type_of \
                or ns.split(".", 1)[0] in bound:
            continue  # no constant, `@T.f` (all arguments explicit), or a field of a local
        p = receiver_position(ns, s.args, type_of, bound)
        if p is not None:
            out[(s.fn.name, p)] += 1


def table(evidence: Counter) -> dict[str, int]:
    """Constant -> receiver position: the most frequent position (the smallest on a tie).
    Positions disagree only where a type was named through a definition that unfolds to
    another head; the frequent reading is the signature's."""
    best: dict[str, tuple[int, int]] = {}
    for (name, p), n in evidence.items():
        got = best.get(name)
        if got is None or n > got[0] or (n == got[0] and p < got[1]):
            best[name] = (n, p)
    return {name: p for name, (_, p) in best.items()}


def write_table(root: Path, evidence: Counter, positions: dict[str, int] | None = None,
                sole: frozenset[str] = frozenset()) -> Path:
    """`RUN/receivers.parquet`: one row per constant, sorted by name; `positions` (default
    `table(evidence)`) may hold entries without evidence here (a dependency's: 0);
    `sole`: the constants `sole_fields` gives."""
    if positions is None:
        positions = table(evidence)
    names = sorted(positions)
    t = pa.table({"name": names, "position": [positions[n] for n in names],
                  "evidence": [evidence.get((n, positions[n]), 0) for n in names],
                  "sole": [n in sole for n in names]},
                 schema=SCHEMA)
    path = root / FILE
    pq.write_table(t, path)
    return path


def read_table(root: Path) -> dict[str, int]:
    """The stored table, or an empty one when the run has none (an index written before
    the table existed: dot spellings then stay unmatched)."""
    path = root / FILE
    if not path.exists():
        return {}
    t = pq.read_table(path, columns=["name", "position"])
    return dict(zip(t.column(0).to_pylist(), t.column(1).to_pylist()))


def read_sole(root: Path) -> dict[str, str]:
    """Field name -> the one constant of the table that ends in it (`sole_fields`), from
    the stored table; empty for a table written before the column existed."""
    path = root / FILE
    if not path.exists() or "sole" not in pq.read_schema(path).names:
        return {}
    t = pq.read_table(path, columns=["name", "sole"])
    return {n.rsplit(".", 1)[-1]: n for n, sole in zip(t.column(0).to_pylist(),
                                                       t.column(1).to_pylist()) if sole}


def name_endings(names: Iterable[str], fields: Iterable[str]) -> Counter:
    """How many namespaced names of the library (declarations, the external names,
    structure fields: `fields` holds their last components) end in each word."""
    count: Counter = Counter(n.rsplit(".", 1)[1] for n in names if "." in n)
    count.update(fields)
    return count


def sole_fields(receivers: Iterable[str], endings: Counter) -> frozenset[str]:
    """The constants `T.f` of the table whose last component no other namespaced name of
    the library ends in (`endings`, `name_endings`).  Why: Lean resolves `e.f` through
    `e`'s type, which a compound receiver (`(hf.localInverseAt x).target.InjOn f`) does
    not show; when only `Set.InjOn` is named `InjOn`, the statement Lean accepted can
    mean no other."""
    return frozenset(r for r in receivers if endings[r.rsplit(".", 1)[-1]] == 1)


# a line of a structure's or class's field block: its first word is a field's name, or
# the names of a bracketed field (`(Indep : Set α → Prop)`, Mathlib's `Matroid`)
_FIELD_LINE = re.compile(r"^\s+(?:protected\s+|private\s+)?([^\s:({\[⦃@|\-/]+)", re.M)
_BRACKET_FIELDS = re.compile(r"^\s+[({\[⦃]\s*([^\s:(){}\[\]⦃⦄]+(?:\s+[^\s:(){}\[\]⦃⦄]+)*)\s*:",
                             re.M)


_CONSTRUCTOR = re.compile(r"^\s*\|\s*([^\s:({\[⦃]+)", re.M)


def structure_fields(decls: Iterable, root: Path) -> set[str]:
    """The last components of the names that open a line of the field blocks (after
    `where`) of the library's structures and classes, and of its inductive types'
    constructors (`| succ …`), read from the sources under `root`: the extraction keeps
    neither.  Every such word is taken for a field (a continuation
    line too): a word too many only keeps a `sole_fields` entry out."""
    texts: dict[str, bytes] = {}
    out: set[str] = set()
    for d in decls:
        if d.kind not in ("structure", "class", "inductive"):
            continue
        data, _ = source_bytes(texts, root, d.file)
        text = data[d.start_byte:d.end_byte].decode("utf-8", "replace")
        if d.kind == "inductive":
            out.update(m.group(1) for m in _CONSTRUCTOR.finditer(text))
            continue
        _, where, body = text.partition(" where")
        if where:
            out.update(m.group(1).rsplit(".", 1)[-1] for m in _FIELD_LINE.finditer(body))
            out.update(n for m in _BRACKET_FIELDS.finditer(body) for n in m.group(1).split())
    return out

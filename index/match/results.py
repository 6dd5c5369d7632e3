"""Evidence of a value's type from the definition it applies: `Ioo a b` is a `Finset`.

Why: a generic pattern (`?s₁ ⊆ ?s₂` of `Finset.coe_subset`, whose variables have concrete
types) is kept only with evidence that a matched value has a type at all
(`untyped_generic`, `matcher.type_ok`); the candidate's hints come from its binder types
and ascriptions, so `Ioo a b ⊆ Ioc a b` had none, although `Finset.Ioo` says it returns a
`Finset α`.  Here each definition's declared result type gives its head (`result_heads`,
read from the definition's header in its source, once per index), and a matched value that applies
a definition whose result head is the head of the rule variable's type is that evidence
(`ResultEvidence`).  Only a plain type counts (`Finset α`, `Set (α × β)`): a function
type, a product or any other operator at the top leaves the head unknown, and so does a
type variable (`α`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.grammar.ast import App, Ident, Proj, Term, Typed, loads
from lean_alchemy.grammar.walk import last_component
from lean_alchemy.index.dot_notation import type_head
from lean_alchemy.index.match.hints import looks_variable
from lean_alchemy.index.match.patterns import NUMBER_TYPES
from lean_alchemy.index.match.receiver_heads import receiver_head
from lean_alchemy.index.sources import source_bytes

RESULT_KINDS = frozenset({"def", "abbrev", "opaque"})
_OPEN, _CLOSE = "([{⦃⟨", ")]}⦄⟩"
_NAME_CHARS = frozenset(".'!?_")
_NOT_TYPES = frozenset({"Type", "Sort", "Prop", "fun", "by"})


def conclusion_head(text: str | None) -> str | None:
    """The last name component of the head of a plain type written `text` (`Finset α` ->
    `Finset`), None when the text is not a constant applied to atoms."""
    if not text:
        return None
    atoms = _atoms(text.strip())
    if len(atoms) == 1 and atoms[0] in NUMBER_TYPES:  # `ℝ≥0∞` is no name
        return NUMBER_TYPES[atoms[0]]
    if not atoms or not _is_name(atoms[0]):
        return None
    head = atoms[0]
    if head in _NOT_TYPES or looks_variable(last_component(head)):
        return None
    if not all(_is_name(a) or a[0] in _OPEN for a in atoms[1:]):
        return None
    return number_named(last_component(head))


def number_named(head: str) -> str:
    """A number type's head by its symbol, as `receiver_head` and `rigid_names` name it
    (`Nat` -> `ℕ`), so that a result head, a rule variable's type head and a receiver's
    compare equal; any other head itself."""
    return NUMBER_TYPES.get(head, head)


def _is_name(atom: str) -> bool:
    return all(ch.isalnum() or ch in _NAME_CHARS for ch in atom) and not atom[0].isdigit()


def _atoms(text: str) -> list[str]:
    """`text` split at its top-level spaces, brackets kept whole; [] when unbalanced."""
    out: list[str] = []
    depth, start = 0, 0
    for k, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                return []
        elif ch.isspace() and depth == 0:
            if k > start:
                out.append(text[start:k])
            start = k + 1
    if depth:
        return []
    if start < len(text):
        out.append(text[start:])
    return out


def result_heads(rows: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """Full name -> result head of each definition of (full name, kind, result type)."""
    out: dict[str, str] = {}
    for name, kind, conclusion in rows:
        if kind in RESULT_KINDS:
            head = conclusion_head(conclusion)
            if head is not None:
                out[name] = head
    return out


_KEYWORD = re.compile(r"(?<![\w.'])(?:def|abbrev|opaque)(?![\w.'])")
MAX_HEADER = 3000  # characters of a definition read for its header (bodies can be long)


def result_type_text(snippet: str) -> str | None:
    """The result type written in a definition's source text (`def Ioo (a b : α) :
    Finset α := …` -> `Finset α`), None when it writes none."""
    from lean_alchemy.extract.commands import (
        read_name, read_signature, skip_attrs_modifiers, strip_comments)
    from lean_alchemy.extract.lexer import mask

    head = snippet[:MAX_HEADER]
    masked = mask(head).masked
    pos, _, _ = skip_attrs_modifiers(masked, 0, len(masked))
    kw = _KEYWORD.search(masked, pos)
    if kw is None:
        return None
    p = kw.end()
    while p < len(masked) and masked[p].isspace():
        p += 1
    _, name_end = read_name(masked, p, len(masked))
    sig = read_signature(masked, name_end, len(masked))
    if sig.colon < 0:
        return None
    end = sig.delim if sig.delim >= 0 else len(masked)
    return strip_comments(head[sig.colon + 1:end]).strip()


def read_result_heads(decls: Iterable, root: Path) -> dict[str, str]:
    """`result_heads` of the definitions among `decls` (full_name, kind, file,
    start_byte, end_byte), their result types read from the sources under `root`: the
    extraction keeps only theorem statements.  A file that cannot be read gives none."""
    texts: dict[str, bytes] = {}
    rows: list[tuple[str, str, str | None]] = []
    for d in decls:
        if d.kind not in RESULT_KINDS:
            continue
        data, _ = source_bytes(texts, root, d.file)
        snippet = data[d.start_byte:d.end_byte].decode("utf-8", "replace")
        rows.append((d.full_name, d.kind, result_type_text(snippet) if snippet else None))
    return result_heads(rows)


def _applied(t: Term) -> Ident | None:
    f = t.fn if isinstance(t, App) else t
    return f if isinstance(f, Ident) else None


def rule_type_heads(names: Iterable[str], binder_names: tuple[str, ...],
                    binder_types: tuple[str, ...]) -> dict[str, str]:
    """The last component of the head of the declared type of each of `names`."""
    out: dict[str, str] = {}
    wanted = frozenset(names)
    for n, t in zip(binder_names, binder_types):
        if n in wanted and t:
            head = type_head(loads(t))
            if head is not None:
                out[n] = number_named(last_component(head))
    return out


FILE = "result_heads.parquet"  # what pass 2 used, for `alchemy explain`
SCHEMA = pa.schema([
    pa.field("name", pa.string(), nullable=False),  # a definition, full name
    pa.field("head", pa.string(), nullable=False),  # last component of its result head
])


def write_table(root: Path, heads: Mapping[str, str]) -> Path:
    """`RUN/result_heads.parquet`: one row per definition, sorted by name."""
    names = sorted(heads)
    path = root / FILE
    pq.write_table(pa.table({"name": names, "head": [heads[n] for n in names]},
                            schema=SCHEMA), path)
    return path


def read_table(root: Path) -> dict[str, str]:
    """The stored table, or an empty one when the run has none (an index written before
    the table existed: generic patterns then find no evidence here)."""
    path = root / FILE
    if not path.exists():
        return {}
    t = pq.read_table(path)
    return dict(zip(t.column("name").to_pylist(), t.column("head").to_pylist()))


def applied_result(val: Term, written: list[Term], resolved: list[Term],
                   table: Mapping[str, str], lasts: frozenset[str],
                   positions: dict[int, int]) -> str | None:
    """The result head of the definition `val` (a node of `written`) applies, None for
    another value.  `resolved`: the resolved twin of `written`, which says which
    definition a written name is; `lasts`: the last components of `table`'s names, a cheap
    first test; `positions`: node id -> index in `written`, filled on first use."""
    f = _applied(val)
    if f is None or last_component(f.name) not in lasts:
        return None
    j = _position(val, written, positions)
    r = _applied(resolved[j]) if j is not None else None
    return table.get(r.name) if r is not None else None


def _position(val: Term, written: list[Term], positions: dict[int, int]) -> int | None:
    """The index of node `val` in `written`; `positions` (node id -> index) is filled on
    first use and kept for the target."""
    if not positions:
        positions.update((id(w), j) for j, w in enumerate(written))
    return positions.get(id(val))


class ResultEvidence:
    """The evidence of one index: the table, its names' last components, each rule's
    generic variables' type heads (decoded once per rule) and, for the target being
    matched, each value's result head (asked by many rules, found once)."""

    def __init__(self, heads: dict[str, str]) -> None:
        self.heads = heads
        self.lasts = frozenset(n.rpartition(".")[2] for n in heads)
        self.fields = field_results(heads)
        self._want: dict[str, dict[str, str]] = {}  # rule id -> generic variables' heads
        self._heads: dict[str, frozenset[str]] = {}  # rule id -> those heads
        self._target: object = None  # the flattened target the memos below are about
        self._positions: dict[int, int] = {}
        self._results: dict[int, str | None] = {}  # value node id -> its result head

    def asker(self, c, subst: Mapping[str, Term], fl, local_types: Mapping[str, Term]
              ) -> Callable[[], bool]:
        """The question `matcher.type_ok` asks last about a match of `c` in `fl`: does a
        matched value of a generic variable apply a definition of its type's head?
        `local_types`: the candidate's declared types (for field notation on them)."""
        want = self.wanted(c)
        return lambda: self._holds(want, subst, fl, local_types)

    def wanted(self, c) -> dict[str, str]:
        """`c`'s generic variables' type heads, the only part of the rule `asker` reads
        (decoded once per rule)."""
        want = self._want.get(c.rule.id)
        if want is None:
            r = c.rule
            want = self._want[r.id] = rule_type_heads(c.generic, tuple(r.binder_names),
                                                      tuple(r.binder_types))
        return want

    def heads_wanted(self, c) -> frozenset[str]:
        """The type heads of `wanted(c)`: two generic rules with the same ones have the
        same evidence at the same values (`RuleIndex._try_sample` reads it)."""
        got = self._heads.get(c.rule.id)
        if got is None:
            got = self._heads[c.rule.id] = frozenset(self.wanted(c).values())
        return got

    def _holds(self, want: Mapping[str, str], subst: Mapping[str, Term], fl,
               local_types: Mapping[str, Term]) -> bool:
        for v, head in want.items():
            val = subst.get(v)
            if val is not None and self.result_of(val, fl, local_types) == head:
                return True
        return False

    def result_of(self, val: Term, fl, local_types: Mapping[str, Term]) -> str | None:
        """The result head of the definition the value `val` (a node of the target `fl`)
        applies, directly or by field notation; None when unknown.  Memoized per target:
        many rules ask about the same value."""
        if fl is not self._target:
            self._target, self._positions, self._results = fl, {}, {}
        got = self._results.get(id(val), "")
        if got == "":
            got = applied_result(val, fl.written, fl.resolved, self.heads, self.lasts,
                                 self._positions)
            if got is None:
                got = field_result(val, fl, local_types, self.fields, self._positions)
            if got is None:
                got = self._projected(val, fl, local_types)
            self._results[id(val)] = got
        return got

    def _projected(self, val: Term, fl, local_types: Mapping[str, Term]) -> str | None:
        """The result head of `(e).f …`, by the result head of `e` itself: `(G.map f)
        .edgeFinset` is `SimpleGraph.edgeFinset (G.map f)`, a `Finset`."""
        f = val.fn if isinstance(val, App) else val
        if not isinstance(f, Proj):
            return None
        inner = self.result_of(f.term, fl, local_types)
        return self.fields.get((inner, f.field)) if inner is not None else None


def value_receiver(val: Term, fl, local_types: Mapping[str, Term], rigid_last: frozenset[str],
                   results: ResultEvidence | None) -> str | None:
    """The head of the type of a value that is not a variable, when it is certainly that
    head for field notation (`value_checks.receivers_ok`): an ascription's type, or the
    result type of the definition it applies (`result_of`), and only a structure,
    class or inductive type (`rigid_last`): a definition's head may unfold to another,
    which Lean then searches for the field (`I.colon` with `I : Ideal R` is
    `Submodule.colon`).  `g.cycleFactorsFinset.boxes` is no `Prepartition.boxes`."""
    if isinstance(val, Typed):
        got = receiver_head(val.type, frozenset(local_types))
    elif results is not None:
        got = results.result_of(val, fl, local_types)
        if got is None and isinstance(val, Ident):  # `x.f` as a field view spelled it
            got = dotted_result(val.name, local_types, results.fields)
    else:
        return None
    return got if got is not None and got in rigid_last else None


def field_results(heads: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """(namespace's last component, field) -> result head, for the definitions that field
    notation can reach (`Multiset.map` -> `("Multiset", "map")`); a pair two definitions
    share with different heads is left out (`A.Simplex.f` and `B.Simplex.f`)."""
    out: dict[tuple[str, str], str] = {}
    clash: set[tuple[str, str]] = set()
    for name, head in heads.items():
        parts = name.rsplit(".", 2)
        if len(parts) < 2:
            continue
        key = (number_named(parts[-2]), parts[-1])  # `Nat.divisors` on an `n : ℕ`
        if out.setdefault(key, head) != head:
            clash.add(key)
    for key in clash:
        del out[key]
    return out


def dotted_result(name: str, local_types: Mapping[str, Term],
                  fields: Mapping[tuple[str, str], str]) -> str | None:
    """The result head of `x.f` (`name`), `x` a variable of the candidate whose declared
    type is headed `T`, by `T.f`'s result type, and of a chain `x.f.g` field by field;
    None for another name.  Alone, for a node that is not the target's own (a field
    view's spelling of `T.f x`), whose binders `field_result` cannot ask."""
    var, dot, chain = name.partition(".")
    if not dot or var not in local_types:
        return None
    head = receiver_head(local_types[var], frozenset(local_types))
    for field in chain.split("."):  # `G.edgeFinset.map`: a `Finset`'s `map`
        if head is None:
            return None
        head = fields.get((head, field))
    return head


def field_result(val: Term, fl, local_types: Mapping[str, Term],
                 fields: Mapping[tuple[str, str], str], positions: dict[int, int]
                 ) -> str | None:
    """The result head of the definition that field notation `x.f …` applies, `x` a
    variable of the candidate (not bound in between) whose declared type is headed `T`:
    Lean reads it as `T.f x …` (`p.map g` with `p : Multiset M` is `Multiset.map g p`, a
    `Multiset`); None for another value."""
    f = _applied(val)
    if f is None or "." not in f.name:
        return None
    j = _position(val, fl.written, positions)
    if j is None or f.name.partition(".")[0] in fl.bound[j]:
        return None
    return dotted_result(f.name, local_types, fields)

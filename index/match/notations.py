"""The library's notations as views of candidate nodes: a rule written with a notation
matches the candidate's constant, and a rule written with the constant its notation.

Lean expands a notation into its right side before elaborating (`grammar.notation_views`),
so `rw [nonZeroDivisorsRight_eq_nonZeroDivisors]` rewrites `r ∈ M₀⁰`, and
`rw [nhds_prod_eq]`, stated with `𝓝 (x, y)`, rewrites `nhds (x, y)`.  The grammar keeps
each spelling as written; the trie keys patterns by their spelling; so each candidate node
written in one spelling also gets a view in the other (`NotationTable.steps`), tried like
the other views of a node (`trie.Trie.view_leaves`).

A command gives a *template* (`command_template`) when its right side is a constant
applied to its parameters, each once (`notation:9000 M₀ "⁰" => nonZeroDivisors M₀`,
`infixr:80 " ⁻¹' " => preimage`, `notation "𝓝[" s "] " x:100 => nhdsWithin x s`), or a
constant alone for a token alone (`notation "𝓝" => nhds`: `𝓝 x` is `nhds x` at any
arity).  Its left side is parsed from a sample written with the parameters' names, so the
node shape is the grammar's own; every parameter must be a sub-term of it (a bracketed
operator such as `=ᶠ[l]` keeps its bracket as text and gives none).  The constant is
resolved in the command's namespace.  A token whose commands name different constants
(`#` is `Finset.card` under `open Finset` and `Cardinal.mk` under `open Cardinal`) gives no
view: which one a candidate means depends on its `open`s, and a wrong guess would be a
mutant of the wrong lemma.  A `local` command gives none: a candidate of another file
cannot mean it, and a mutant printed with it would not parse there.  A token the
candidate binds or declares as a variable (`Γ`, `R`) is that variable.

Only the node itself is viewed, as for the other views: `∀ᶠ x in 𝓝[s] a, p x` written
`∀ᶠ x in nhdsWithin a s, p x` is not matched (the notation is below the pattern's root).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Container, Iterable

from lean_alchemy.grammar.ast import App, Ident, NamedArg, Opaque, Term
from lean_alchemy.grammar.notation_views import node_key, note_step
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.walk import nodes

if TYPE_CHECKING:
    from lean_alchemy.index.names import Resolver

_COMMAND = re.compile(
    r'(?:^|\s)(notation3?|infix[lr]?|prefix|postfix)(?::\w+)?'
    r'((?:\s*\((?:priority|name)\s*:=\s*[^)]*\))*)\s+(.*?)\s*=>\s*(.+)\Z', re.S)
_ITEM = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s":()]+)(?::\w+)?|(\S)')
_INFIX_PARAMS = ("notationLhs₀", "notationRhs₀")


@dataclass(frozen=True)
class Template:
    """A notation (`notation`, parameters as identifiers) and the application of
    `constant` it stands for (`application`); `alias` when the notation is one token
    standing for the constant alone."""

    notation: Term
    application: Term
    params: tuple[str, ...]
    constant: str
    alias: bool = False


def _lhs_items(keyword: str, lhs: str) -> list[tuple[str, str]] | None:
    """The left side as (kind, text) items, kind `atom` or `param`; None when it holds
    syntax no sample can show (`term`, `$x`, `*`)."""
    if keyword.startswith("infix"):
        atom = _strings(lhs)
        return None if atom is None or len(atom) != 1 else [
            ("param", _INFIX_PARAMS[0]), ("atom", atom[0]), ("param", _INFIX_PARAMS[1])]
    if keyword in ("prefix", "postfix"):
        atom = _strings(lhs)
        if atom is None or len(atom) != 1:
            return None
        p = ("param", _INFIX_PARAMS[0])
        return [("atom", atom[0]), p] if keyword == "prefix" else [p, ("atom", atom[0])]
    items: list[tuple[str, str]] = []
    for m in _ITEM.finditer(lhs):
        if m.group(3) is not None:
            return None
        items.append(("atom", m.group(1)) if m.group(1) is not None else ("param", m.group(2)))
    return items


def _strings(lhs: str) -> list[str] | None:
    got = re.fullmatch(r'\s*"((?:[^"\\]|\\.)*)"\s*', lhs)
    return [got.group(1)] if got else None


def _sample(items: list[tuple[str, str]]) -> str:
    """The text of the left side with each parameter written as its name."""
    out = ""
    for kind, text in items:
        if out and (kind == "param" and not out[-1].isspace() and (
                out[-1].isalnum() or out[-1] in "_'") or
                kind == "atom" and text[:1].isalnum() and out[-1:].isalnum()):
            out += " "
        out += text
    return out.strip()


def command_template(keyword: str, text: str) -> tuple[Term, Term, tuple[str, ...]] | None:
    """(notation, application, parameters) of a notation command whose right side is a
    constant applied to its parameters, each once, or a constant alone for a token alone
    (module doc); None for any other command."""
    body = re.sub(r'/-.*?-/', ' ', text, flags=re.S)
    m = _COMMAND.search(body)
    if m is None or m.group(1) != keyword:
        return None
    items = _lhs_items(keyword, m.group(3))
    rhs_text = m.group(4).split("--")[0].strip()
    if not items:
        return None
    params = tuple(t for k, t in items if k == "param")
    if keyword.startswith(("infix", "prefix", "postfix")):
        rhs_text = f"{rhs_text} {' '.join(params)}"
    if len(set(params)) != len(params):
        return None
    lhs, rhs = parse_term(_sample(items)), parse_term(rhs_text)
    if any(isinstance(x, Opaque) for x in nodes(lhs)) or not _applies(rhs, params):
        return None
    if not params:
        return (lhs, rhs, ()) if isinstance(lhs, Ident) and isinstance(rhs, Ident) else None
    seen = [x.name for x in nodes(lhs) if isinstance(x, Ident) and x.name in params]
    if sorted(seen) != sorted(params) or node_key(lhs) is None or lhs == rhs:
        return None
    if isinstance(lhs, App) and isinstance(lhs.fn, Ident) and lhs.fn.name in params:
        return None  # `f x`: an application, no notation
    return lhs, rhs, params


def _applies(rhs: Term, params: tuple[str, ...]) -> bool:
    """Whether `rhs` is a constant applied to exactly the parameters (any order), or a
    constant alone when there are none."""
    if not params:
        return isinstance(rhs, Ident) and not rhs.name.startswith("@")
    if not (isinstance(rhs, App) and isinstance(rhs.fn, Ident)) or rhs.fn.name in params:
        return False
    names = [a.name for a in rhs.args if isinstance(a, Ident)]
    return len(names) == len(rhs.args) == len(params) and sorted(names) == sorted(params) \
        and not rhs.fn.name.startswith("@")


def _family(t: Template) -> tuple:
    """What one token means wherever it is written: an operator's node type and token, an
    application's head token at any arity (a token alone is applied too: `𝓝 x`)."""
    key = node_key(t.notation)
    if t.alias or key is not None and key[0] == "App":
        return ("App", t.notation.fn.name if isinstance(t.notation, App)  # type: ignore[union-attr]
                else t.notation.name)  # type: ignore[union-attr]
    assert key is not None
    return key[:3] if key[0] == "AppGlued" else key


@dataclass
class NotationTable:
    """The library's notation templates (module doc), by the notation's node key and by
    the constant's resolved name, with the view steps of candidate nodes."""

    by_key: dict[tuple, list[Template]] = field(default_factory=dict)
    by_constant: dict[str, list[Template]] = field(default_factory=dict)
    aliases: dict[str, Template] = field(default_factory=dict)  # token -> alias template
    _steps: dict[tuple, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, records: Iterable, resolve: Callable[[str, str], str | None]
              ) -> "NotationTable":
        """From the run's `NotationDecl` records; `resolve(name, namespace)` is the full
        name a constant written in a command of that namespace denotes (None: no
        template)."""
        found: dict[tuple, set[str]] = {}  # token family -> constants it is read as
        templates: list[Template] = []
        for rec in records:
            got = command_template(rec.keyword, rec.text)
            if got is None:
                continue
            lhs, rhs, params = got
            fn = rhs.fn if isinstance(rhs, App) else rhs
            assert isinstance(fn, Ident)
            const = resolve(fn.name, rec.namespace)
            if rec.visibility == "local":  # in force in its own file only (module doc)
                const = None
            # a local command or an unresolved constant still is a meaning of the token
            name = const if const is not None else f"?{rec.file}:{fn.name}"
            app = Ident(name) if not params else App(Ident(name), rhs.args)  # type: ignore[union-attr]
            t = Template(lhs, app, params, name, alias=not params)
            found.setdefault(_family(t), set()).add(name)
            if const is not None and t not in templates:
                templates.append(t)
        table = cls()
        for t in templates:
            if len(found[_family(t)]) != 1:
                continue  # one token, several constants: the `open`s decide (module doc)
            if t.alias:
                table.aliases[t.notation.name] = t  # type: ignore[union-attr]
            else:
                key = node_key(t.notation)
                assert key is not None
                table.by_key.setdefault(key, []).append(t)
            table.by_constant.setdefault(t.constant, []).append(t)
        return table

    def __bool__(self) -> bool:
        return bool(self.by_key or self.aliases)

    def steps(self, written: Term, resolved: Term, names: Container[str] = frozenset()
              ) -> list[tuple[str, int]]:
        """The notation view steps of a candidate node (`written`, and its names
        resolved): to the application for a notation, to the notation for an
        application of a constant that has one.  `names`: the candidate's variables and
        the names bound above the node, which no token stands for."""
        out: list[tuple[str, int]] = []
        key = node_key(written)
        if key is None or isinstance(written, App) and isinstance(written.fn, Ident) and (
                written.fn.name.split(".", 1)[0] in names):
            return out
        for t in self.by_key.get(key, ()):
            out.append((self._step(("to", id(t)), t.notation, t.application, t.params), -1))
        if isinstance(written, App) and isinstance(written.fn, Ident) and not any(
                isinstance(a, NamedArg) for a in written.args):
            n = len(written.args)
            alias = self.aliases.get(written.fn.name)
            if alias is not None:
                out.append((self._alias_step(written.fn.name, alias.constant, n), -1))
            rfn = resolved.fn if isinstance(resolved, App) else None
            if isinstance(rfn, Ident):
                for t in self.by_constant.get(rfn.name, ()):
                    out.extend(self._back(t, written.fn.name, n))
        return out

    def _back(self, t: Template, written_fn: str, n: int) -> list[tuple[str, int]]:
        """The step from an application of `t`'s constant, written `written_fn`, to its
        notation."""
        if t.alias:
            return [(self._alias_step(written_fn, t.notation.name, n), -1)]  # type: ignore[union-attr]
        app = t.application
        if not isinstance(app, App) or len(app.args) != n:
            return []
        src = App(Ident(written_fn), app.args)
        return [(self._step(("from", id(t), written_fn), src, t.notation, t.params), -1)]

    def _alias_step(self, token: str, const: str, n: int) -> str:
        params = tuple(f"notationArg{k}₀" for k in range(n))
        args = tuple(Ident(p) for p in params)
        return self._step(("alias", token, const, n), App(Ident(token), args),
                          App(Ident(const), args), params)

    def _step(self, memo: tuple, src: Term, dst: Term, params: tuple[str, ...]) -> str:
        got = self._steps.get(memo)
        if got is None:
            got = self._steps[memo] = [note_step(src, dst, params)]
        return got[0]


def library_notations(records: Iterable, resolver: "Resolver",
                      type_formers: Container[str] = frozenset()) -> NotationTable:
    """The notation table of a library's commands, each constant resolved in its
    command's namespace.  A constant that does not resolve to one declaration of the
    library there (`Equiv` inside `namespace Computation`, where both
    `Computation.Equiv` and the root `Equiv` exist; Lean core's `HVAdd.hVAdd`) gives no
    template: a view to the wrong constant would be a mutant of another lemma.  Nor does
    a notation for a type former (`type_formers`: structures, classes, inductive types;
    `α ≃ β`, `Rˣ`): `rw` rarely rewrites a type, and a rule stated about one
    (`ZFSet.eq`'s `Equiv x y`, which the library's `open`s make `PSet.Equiv`) would
    meet every `≃` of the statements."""
    from lean_alchemy.index.names import ScopeView

    def resolve(name: str, namespace: str) -> str | None:
        got, status = resolver.resolve_name(ScopeView.of(None, namespace), name)
        return got if status == "resolved" and got not in type_formers else None

    return NotationTable.build(records, resolve)


def type_formers(decls: Iterable) -> frozenset[str]:
    """The names of a library's structures, classes and inductive types."""
    return frozenset(d.full_name for d in decls
                     if d.kind in ("structure", "class", "inductive", "class inductive"))

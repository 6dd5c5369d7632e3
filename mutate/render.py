"""A mutant as a complete, self-contained Lean check unit (without the `import` lines).

Layout (what a checker compiles after `import <Mutant.imports>`):

    section
    <the original's scope preamble: namespace/section/open/variable/local notation...>
    [open scoped <namespaces of the rule's scoped notation, when not open here>]
    set_option autoImplicit false

    set_option maxHeartbeats N in
    theorem <name> <binders> :
        <conclusion> := by
      <proof>

    <end of every namespace/section the preamble opened>
    end

Why `autoImplicit false`: Lean's default is `true`, and then a misspelled identifier in a
mutant silently becomes a variable and a wrong statement "verifies".  It comes after the
preamble so that the original's `variable` commands elaborate exactly as in their file,
and the outer anonymous `section` scopes it (and every `open`/`variable`), so units can be
concatenated into one batch file without leaking into each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from lean_alchemy.core.lean_parts import render_unit as render_unit_text
from lean_alchemy.core.records import Scope
from lean_alchemy.grammar.ast import BinderGroup
from lean_alchemy.grammar.printer import print_binders

LINE_WIDTH = 100


def default_show_binders(groups: Sequence[BinderGroup]) -> str:
    return print_binders(tuple(groups))


@dataclass(frozen=True, slots=True)
class Rendered:
    statement: str  # binders ` : ` conclusion
    declaration: str  # `set_option maxHeartbeats N in` + the theorem
    header: str  # everything before the declaration
    lean: str  # the complete check unit


def statement_text(binders: str, conclusion: str) -> str:
    return f"{binders} : {conclusion}" if binders else f": {conclusion}"


def declaration_text(name: str, binders: str, conclusion: str, proof: str,
                     max_heartbeats: int) -> str:
    """`theorem name binders : conclusion := proof`, the conclusion on its own line (4
    spaces, Mathlib's continuation indent) when the signature is longer than a line."""
    sig = f"theorem {name} {binders}".rstrip() if binders else f"theorem {name}"
    one = f"{sig} : {conclusion} :="
    if len(one) + 3 <= LINE_WIDTH and "\n" not in one:
        head = one
    else:
        head = f"{sig} :\n    {conclusion} :="
    if proof.startswith("by\n"):
        text = f"{head} {proof}"
    else:
        text = f"{head}\n  {proof}"
    if max_heartbeats > 0:
        text = f"set_option maxHeartbeats {max_heartbeats} in\n{text}"
    return text


_FRAME_MEMO: dict[tuple[int, tuple[str, ...]], tuple[Scope | None, str, str]] = {}


def unit_frame(scope: Scope | None, opens: tuple[str, ...] = ()) -> tuple[str, str]:
    """(header, closing text) of every unit in `scope`, memoized by identity: a theorem's
    mutants (a dozen or more) share one scope, and joining its commands is per scope.
    `opens`: namespaces whose scoped notation the unit needs beyond its scope's
    (`notation_scope`), opened after the preamble."""
    hit = _FRAME_MEMO.get((id(scope), opens))
    if hit is not None and hit[0] is scope:
        return hit[1], hit[2]
    pre = scope.preamble().strip("\n") if scope is not None else ""
    extra = f"open scoped {' '.join(opens)}" if opens else ""
    header = "\n".join(x for x in ("section", pre, extra, "set_option autoImplicit false")
                       if x)
    post = scope.postamble().strip("\n") if scope is not None else ""
    close = (f"{post}\n" if post else "") + "end\n"
    if len(_FRAME_MEMO) >= 4096:
        _FRAME_MEMO.clear()
    _FRAME_MEMO[(id(scope), opens)] = (scope, header, close)
    return header, close


def render_unit(scope: Scope | None, declaration: str, opens: tuple[str, ...] = ()
                ) -> tuple[str, str]:
    """(header, complete unit) around a rendered declaration."""
    header, close = unit_frame(scope, opens)
    return header, render_unit_text(header, declaration, close)


def render(name: str, binders: Sequence[BinderGroup], conclusion_text: str, proof: str,
           scope: Scope | None, max_heartbeats: int,
           show_binders: Callable[[Sequence[BinderGroup]], str] = default_show_binders,
           opens: tuple[str, ...] = ()) -> Rendered:
    b = show_binders(binders) if binders else ""
    decl = declaration_text(name, b, conclusion_text, proof, max_heartbeats)
    header, lean = render_unit(scope, decl, opens)
    return Rendered(statement_text(b, conclusion_text), decl, header, lean)

"""LeanDojo's pretty-printed goal states and names, read back into statements.

Why apart from `leandojo`: this is pure text processing (no files, no records) that the
LeanDojo reader, its agreement report and tests use on their own: the first goal of a
tactic state as binders and a conclusion, Lean's internal names of private declarations,
tactic markup, and a whitespace-insensitive form of statements for comparisons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from lean_alchemy.core.records import Binder
from lean_alchemy.core.scan import top_level_find


class StateError(ValueError):
    """A `state_before` that cannot be turned into binders and a conclusion."""


@dataclass(frozen=True, slots=True)
class Hypothesis:
    names: tuple[str, ...]
    type: str


@dataclass(frozen=True, slots=True)
class GoalState:
    hypotheses: tuple[Hypothesis, ...]
    goal: str
    case: str | None = None


_SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_INACCESSIBLE = re.compile(r"(?<![\w.'])([^\W\d][\w'!?]*)✝([" + _SUPERSCRIPT + r"]*)")
_LEVEL = re.compile(r"\b(?:Type|Sort)\s+(\(?[^,()\]}⦄:]*\)?|\w+)")
_LEVEL_NAME = re.compile(r"[A-Za-z_][\w']*")
_IDENT_LIST = re.compile(r"^[^\s:()\[\]{}⦃⦄]+(?: [^\s:()\[\]{}⦃⦄]+)*$")


def parse_goal_state(state: str) -> GoalState:
    """The first goal of a pretty-printed tactic state.

    Lines starting at column 0 begin a hypothesis (`a b : T`), the goal (`⊢ T`) or a case
    tag; indented lines continue the previous entry (the pretty printer breaks long terms).
    Goals are separated by blank lines; only the first is read (the initial state of a
    theorem has exactly one).
    """
    if not state or not state.strip():
        raise StateError("empty state")
    if state.strip() == "no goals":
        raise StateError("no goals")
    entries: list[list[str]] = []
    started = False
    for line in state.splitlines():
        if not line.strip():
            if started and entries and entries[-1][0].startswith("⊢"):
                break  # end of the first goal
            continue
        started = True
        if line[0].isspace() and entries:
            entries[-1].append(line.strip())
        else:
            entries.append([line.strip()])
    hyps: list[Hypothesis] = []
    goal: str | None = None
    case: str | None = None
    for entry in entries:
        text = " ".join(entry)
        if text.startswith("⊢"):
            goal = text[1:].strip()
            break
        if text.startswith("case ") and not hyps and case is None:
            case = text[5:].strip()
            continue
        cut = top_level_find(text, " : ")
        if cut <= 0:
            raise StateError(f"cannot read hypothesis {text[:80]!r}")
        names, typ = text[:cut].strip(), text[cut + 3:].strip()
        if not _IDENT_LIST.match(names):
            raise StateError(f"cannot read hypothesis names {names[:80]!r}")
        if top_level_find(typ, " := ") >= 0:
            raise StateError(f"let-bound hypothesis {names}")
        hyps.append(Hypothesis(tuple(names.split()), typ))
    if goal is None:
        raise StateError("no ⊢ goal in the state")
    if not goal:
        raise StateError("empty goal")
    return GoalState(tuple(hyps), goal, case)


def _is_sort(typ: str) -> bool:
    return bool(re.match(r"^(?:Type|Sort)\b|^Prop$", typ))


def universe_names(texts: Iterable[str]) -> tuple[str, ...]:
    """Universe level names used after `Type`/`Sort` (`u_1`, `max u v`)."""
    out: list[str] = []
    for t in texts:
        for m in _LEVEL.finditer(t):
            for name in _LEVEL_NAME.findall(m.group(1)):
                if name not in ("max", "imax") and name not in out:
                    out.append(name)
    return tuple(out)


def statement_from_state(state: str, kinds: dict[str, str] | None = None
                         ) -> tuple[tuple[Binder, ...], str]:
    """Binders and conclusion of a theorem from its initial goal.

    Instance hypotheses (`inst✝ : Ring R`) become anonymous instance binders; hypotheses
    whose type is a sort become implicit binders; the rest explicit unless `kinds` (binder
    kinds by name, e.g. from the source tree) says otherwise.  Inaccessible names
    (`x✝¹`) are renamed to fresh accessible ones everywhere they occur, since `✝` is not
    Lean syntax.
    """
    gs = parse_goal_state(state)
    kinds = kinds or {}
    taken = {n for h in gs.hypotheses for n in h.names}
    renames: dict[str, str] = {}

    def fresh(base: str) -> str:
        k = 1
        while f"{base}_{k}" in taken:
            k += 1
        taken.add(f"{base}_{k}")
        return f"{base}_{k}"

    for h in gs.hypotheses:
        for n in h.names:
            if "✝" in n and not n.startswith("inst✝"):
                renames[n] = fresh(n.split("✝", 1)[0] or "x")

    def rename(text: str) -> str:
        if not renames:
            return text
        return _INACCESSIBLE.sub(lambda m: renames.get(m.group(0), m.group(0)), text)

    binders: list[Binder] = []
    for h in gs.hypotheses:
        typ = rename(h.type)
        for n in h.names:
            if n.startswith("inst✝"):
                binders.append(Binder("", "inst", typ))
            elif n in kinds:
                binders.append(Binder(n, kinds[n], typ))  # type: ignore[arg-type]
            else:
                kind = "implicit" if _is_sort(typ) else "explicit"
                binders.append(Binder(renames.get(n, n), kind, typ))  # type: ignore[arg-type]
    return tuple(binders), rename(gs.goal)


_MARK = re.compile(r"<a>(.*?)</a>", re.S)
_PRIVATE = re.compile(r"^_private\.(?:[^.]+\.)+?0\.(.+)$")


def demangle(full_name: str) -> tuple[str, bool]:
    """`_private.Sample.Basic.0.Sample.foo` -> (`Sample.foo`, True): Lean's internal name of
    a private declaration, as LeanDojo reports it, back to the name written in the source."""
    m = _PRIVATE.match(full_name)
    return (m.group(1), True) if m else (full_name, False)


def strip_markup(annotated: str) -> tuple[str, tuple[str, ...]]:
    """Tactic text without `<a>...</a>` markup, and the premises as written."""
    return _MARK.sub(lambda m: m.group(1), annotated), tuple(_MARK.findall(annotated))


def normalize_statement(text: str) -> str:
    """Whitespace-insensitive form used to compare statements (also `fun x =>`/`↦`)."""
    t = text.replace("↦", "=>").replace("λ", "fun")
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"\s*([(){}\[\],⦃⦄])\s*", r"\1", t)


__all__ = ["StateError", "Hypothesis", "GoalState", "parse_goal_state", "universe_names",
           "statement_from_state", "demangle", "strip_markup", "normalize_statement"]

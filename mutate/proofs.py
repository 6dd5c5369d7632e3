"""Proofs of mutants, built from the original proof or the original theorem (never `sorry`).

A proof is kept as a *body*: tactic lines (indentation relative to the body) that prove
the statement's conclusion from its binders.  The body of a library theorem is its own
proof (`merged`: the tactic block re-indented, or `exact` + the term) or a call of the
theorem by name (`invoke`).  Each mutation step wraps the body of its parent with a
*bridge* that turns the mutated part back into the parent's:

- rw_goal:   `have : C := <parent body>`, `rewrite [R (a := x)] at this`, `exact this`
- rw_hyp:    `replace h : H := by rewrite [R (a := x)]; exact h`, then the parent body
  (`replace`, core Lean: the mutated `h : H'` is cleared, so the parent body runs in
  exactly its own context)
- apply_hyp: `have h : H := R (a := x) (hab := hab)` (or `by apply R ... <;> assumption`
  when some hypotheses of `R` cannot be passed by name), then the parent body

`rewrite` (not `rw`) because `rw` tries `rfl` afterwards and could close the goal before
`exact`.  In rw_hyp the bridge rewrites the *goal* `H` into `H'` (forward), which reproduces
exactly the statement's replacement of all occurrences, rather than rewriting `h : H'`
backwards (which would also rewrite occurrences of the right-hand side that were in `H`
from the start).  Depth k proofs are k nested bridges around the same base body.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from lean_alchemy.core.records import Declaration
from lean_alchemy.grammar.ast import BinderGroup, Term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.mutate.statements import Skip, Step, nameable

Show = Callable[[Term], str]
Body = tuple[str, ...]

_FORBIDDEN = re.compile(r"(?<![\w.'])(sorry|admit)(?![\w'])")
_TRAILER = re.compile(r"^\s*(termination_by|decreasing_by|where)\b", re.M)
_ATOM = re.compile(r"^[^\s()\[\]{}⟨⟩,:]+$")


def default_show(t: Term) -> str:
    return print_term(t)


def indent(lines: Sequence[str], n: int) -> list[str]:
    pad = " " * n
    return [pad + ln if ln.strip() else "" for ln in lines]


def dedent(lines: Sequence[str]) -> list[str]:
    """Remove the common indentation of the non-blank lines; drop blank edges."""
    lines = list(lines)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    widths = [len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip()]
    cut = min(widths) if widths else 0
    return [ln[cut:].rstrip() if ln.strip() else "" for ln in lines]


def has_forbidden(text: str) -> bool:
    """Whether `text` mentions `sorry`/`admit` as a word.  The substring test first: it
    runs once per mutant over its whole proof, and almost no proof has either word."""
    return ("sorry" in text or "admit" in text) and bool(_FORBIDDEN.search(text))


def split_proof(proof: str) -> tuple[str, list[str]]:
    """("tactic", tactic lines) or ("term", term lines) of a proof text after `:=`.

    Raises Skip for proofs that cannot be replayed inside another proof: equation
    compiler alternatives, `where` clauses, termination hints, `sorry`.
    """
    if has_forbidden(proof):
        raise Skip("sorry_in_original")
    if _TRAILER.search(proof):
        raise Skip("proof_unsupported", "termination_by/decreasing_by/where")
    text = proof.strip("\n")
    stripped = text.lstrip()
    if not stripped:
        raise Skip("proof_unsupported", "empty proof")
    if stripped.startswith("|"):
        raise Skip("proof_unsupported", "equation compiler alternatives")
    if re.match(r"by(\s|$)", stripped):
        first, _, rest = stripped[2:].partition("\n")
        lines = ([first.strip()] if first.strip() else []) + dedent(rest.split("\n"))
        lines = [ln for ln in lines]
        if not any(ln.strip() for ln in lines):
            raise Skip("proof_unsupported", "empty tactic block")
        return "tactic", lines
    first, _, rest = stripped.partition("\n")
    if text[: len(text) - len(stripped)].count("\n") or not rest:
        # the term starts on its own line (or is one line): keep relative indentation
        return "term", dedent(text.split("\n"))
    # first line inline after `:=`, continuation lines indented below it
    return "term", [first.rstrip()] + indent(dedent(rest.split("\n")), 2)


def term_body(lines: Sequence[str]) -> Body:
    """`exact <term>`: on one line when the term is one line, else the term below."""
    if len(lines) == 1:
        return (f"exact {lines[0].strip()}",)
    return ("exact",) + tuple(indent(lines, 2))


def merged_body(decl: Declaration) -> Body:
    """The original proof as a tactic body."""
    if decl.proof is None:
        raise Skip("proof_unsupported", "no proof text")
    style, lines = split_proof(decl.proof)
    if style == "tactic":
        return tuple(lines)
    return term_body(lines)


def call_args(parent_binders: Sequence[BinderGroup]) -> list[str]:
    """Positional explicit arguments for calling a theorem with these binders."""
    out = []
    for g in parent_binders:
        if g.kind != "explicit":
            continue
        for n in g.names:
            out.append(n if nameable(n) else "(by assumption)")
    return out


def invoke_body(full_name: str, parent_binders: Sequence[BinderGroup]) -> Body:
    """`exact Thm a b h`: the original theorem by name (`parent_binders`: the section
    variables Lean includes, then the theorem's own binders)."""
    return (" ".join(["exact", full_name] + call_args(parent_binders)),)


def _atom(s: str) -> str:
    return s if _ATOM.match(s) else f"({s})"


def rule_term(step: Step, show: Show, with_hyps: bool) -> str:
    parts = [step.lemma] + [f"({n} := {show(v)})" for n, v in step.args]
    if with_hyps:
        parts += [f"({n} := {h})" for n, h in step.hyp_args]
    return " ".join(parts)


def rewrite_item(step: Step, show: Show) -> str:
    arrow = "← " if step.direction == "bwd" else ""
    return arrow + rule_term(step, show, with_hyps=True)


def _have(name: str, ty: str, body: Body) -> list[str]:
    """`have name : ty := <body>` with the body as a term when it is a single `exact`."""
    head = f"have {name} : {ty} :=" if name else f"have : {ty} :="
    if len(body) == 1 and body[0].startswith("exact "):
        return [f"{head} {body[0][len('exact '):]}"]
    if body and body[0] == "exact" and all(ln.startswith("  ") or not ln for ln in body[1:]):
        return [head] + list(indent(dedent(body[1:]), 2))
    return [f"{head} by"] + indent(body, 2)


def bridge(step: Step, body: Body, show: Show = default_show) -> Body:
    """The body of the mutant: a bridge from the mutated statement to its parent, then the
    parent's body.  apply_hyp uses a plain term when every explicit binder and hypothesis of
    the rule is passed by name (`step.covers_explicit`), else `apply ... <;> assumption`."""
    orig = show(step.original)
    tail = ["all_goals assumption"] if step.unnamed_hyps else []
    if step.kind == "rw_goal":
        lines = _have("", orig, body)
        lines += [f"rewrite [{rewrite_item(step, show)}] at this", "exact this"] + tail
        return tuple(lines)
    h = step.location
    if step.kind == "rw_hyp":
        inner = [f"rewrite [{rewrite_item(step, show)}]", f"exact {h}"] + tail
        return tuple([f"replace {h} : {orig} := by"] + indent(inner, 2) + list(body))
    if step.kind == "apply_hyp":
        if step.unnamed_hyps == 0 and step.covers_explicit:
            lines = [f"have {h} : {orig} := {rule_term(step, show, with_hyps=True)}"]
        else:
            lines = [f"have {h} : {orig} := by",
                     f"  apply {rule_term(step, show, with_hyps=True)} <;> assumption"]
        return tuple(lines + list(body))
    raise ValueError(f"unknown mutation kind {step.kind}")


def proof_text(body: Body) -> str:
    """The text after `:=`: a tactic block."""
    text = "by\n" + "\n".join(indent(body, 2))
    if has_forbidden(text):
        raise Skip("sorry", "generated proof mentions sorry/admit")
    return text

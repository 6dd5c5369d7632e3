"""Invocation records of a theorem's kept matches, and the printed form of a term.

Why apart from the rule index: records are made once per theorem from the hits the
sampler kept; the path, printed instance and serialized values are computed once per
sub-term and value, since many rules hit the same sub-term.
"""

from __future__ import annotations

import json

from lean_alchemy.core.records import Invocation
from lean_alchemy.grammar.ast import Ident, Term, dumps


def show_term(t: Term) -> str:
    """`t` printed as Lean, or its serialized AST when the printer cannot print it (the
    printed instance is for people only)."""
    try:
        from lean_alchemy.grammar.printer import print_term

        return print_term(t)
    except Exception:  # noqa: BLE001 - for people only
        return dumps(t)


def invocation_records(candidate: str, hits: list) -> list[Invocation]:
    """One `Invocation` per kept hit `(flat, sub-term, compiled rule, kind, location,
    substitution, respelled names)`, in order."""
    out: list[Invocation] = []
    paths: dict[tuple[int, int], str] = {}
    shown: dict[tuple[int, int], str] = {}
    dumped: dict[int, str] = {}
    for fl, i, c, kind, loc, subst, respell in hits:
        k = (id(fl), i)
        path = paths.get(k)
        if path is None:
            path = paths[k] = json.dumps([list(p) for p in fl.paths[i]],
                                         ensure_ascii=False)
            shown[k] = show_term(fl.written[i])
        pairs = []
        for name, v in sorted(subst.items()):
            d = dumped.get(id(v))
            if d is None:
                d = dumped[id(v)] = dumps(v)
            pairs.append((name, d))
        pairs.extend((name, dumps(Ident(v))) for name, v in sorted(respell.items()))
        out.append(Invocation(candidate, c.rule.id, kind, loc, path, tuple(pairs),
                              shown[k]))
    return out


def location_invocations(candidate: str, rule_id: str, kind: str, location: str, path: str,
                         instance: str, subst: dict[str, Term], respell: dict[str, str],
                         fills: list[dict[str, Term]] | None) -> list[Invocation]:
    """The records the index makes of one accepted location (`alchemy explain`'s, for
    replaying the mutation stage on it): one per filling of the variables the pattern
    leaves open (`match.fill`; a variable bound anew, `FRESH`, has no value: the mutant
    binds it), the values and respellings serialized as `invocation_records` does."""
    from lean_alchemy.index.match.fresh import FRESH

    out: list[Invocation] = []
    for extra in fills or [{}]:
        full = {**subst, **{k: v for k, v in extra.items() if v != FRESH}}
        pairs = [(k, dumps(v)) for k, v in sorted(full.items())]
        pairs.extend((k, dumps(Ident(v))) for k, v in sorted(respell.items()))
        out.append(Invocation(candidate, rule_id, kind, location, path, tuple(pairs),
                              instance))
    return out

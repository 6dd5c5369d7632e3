"""Which library declarations are proved: no rule comes from an unproved lemma.

Why: Lean accepts a proof that uses a `sorry`'d lemma (or a custom `axiom`) with a warning at
most, so a rule derived from such a lemma gives mutants whose check "succeeds" on nothing.
The index derives no rule from them, and the corpus exports no such original as checked.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from lean_alchemy.core.leantext import contains_sorry
from lean_alchemy.core.records import Declaration


def directly_unproved(decls: Iterable[Declaration]) -> set[str]:
    """Declarations that are unproved by their own text: an `axiom`, or a proof with
    `sorry`/`admit`."""
    return {d.full_name for d in decls
            if d.kind == "axiom" or (d.proof and contains_sorry(d.proof))}


def unproved_declarations(decls: Iterable[Declaration],
                          proof_uses: Iterable[tuple[str, str]] = ()) -> frozenset[str]:
    """Library declarations that are not proved: a proof with `sorry`/`admit`, an `axiom`,
    and, to a fixpoint, every declaration whose proof uses one of those (`proof_uses`
    edges of the graph, user -> used).  Lean accepts such proofs with a warning at most."""
    unproved = directly_unproved(decls)
    users: dict[str, list[str]] = {}
    for user, used in proof_uses:
        users.setdefault(used, []).append(user)
    todo = list(unproved)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in unproved:
                unproved.add(user)
                todo.append(user)
    return frozenset(unproved)


def proof_uses_pairs(edges: Iterable[tuple]) -> Iterator[tuple[str, str]]:
    """(user, used) of the `proof_uses` edges among graph edges `(src, dst, kind, ...)`."""
    return ((e[0], e[1]) for e in edges if e[2] == "proof_uses")

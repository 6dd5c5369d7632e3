"""Deterministic, unique names for mutants, derived from the original theorem's name.

Why derived and hashed: a person reading the corpus sees where a mutant comes from
(`add_comm` -> `add_comm_rw_goal_1f0c9a2b`), and the suffix is a prefix of the mutant's
fingerprint, so the same statement always gets the same name (re-runs are idempotent) and
two different statements from one theorem never collide.
"""

from __future__ import annotations

_KIND_TAG = {"rw_goal": "rw_goal", "rw_hyp": "rw_hyp", "apply_hyp": "apply_hyp"}


def _split_last(name: str) -> tuple[str, str]:
    """(prefix including the final dot, last component), respecting `«...»` quoting."""
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        c = name[i]
        if c == "»":
            depth += 1
        elif c == "«":
            depth -= 1
        elif c == "." and depth == 0:
            return name[: i + 1], name[i + 1:]
    return "", name


def with_suffix(name: str, suffix: str) -> str:
    """`name` with `_suffix` appended to its last component (inside `«»` when quoted)."""
    prefix, last = _split_last(name)
    if last.startswith("«") and last.endswith("»"):
        return f"{prefix}{last[:-1]}_{suffix}»"
    return f"{prefix}{last}_{suffix}"


def mutant_name(written_name: str, kind: str, fingerprint: str, depth: int = 1) -> str:
    """The name to declare the mutant under, relative to the original's namespace.

    `written_name` is the name as written after `theorem` (Declaration.name), so the mutant
    is declared in the same namespace block as its original.
    """
    tag = _KIND_TAG.get(kind, kind)
    if depth > 1:
        tag = f"d{depth}_{tag}"
    return with_suffix(written_name, f"{tag}_{fingerprint[:8]}")


def mutant_full_name(full_name: str, kind: str, fingerprint: str, depth: int = 1) -> str:
    """The mutant's full name (the original's full name with the same suffix)."""
    return mutant_name(full_name, kind, fingerprint, depth)

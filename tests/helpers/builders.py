"""Builders of records with plain defaults: a test states only the fields it is about.

`make_mutant(i, **overrides)` and `make_declaration(full_name, **overrides)` build complete,
valid records; each keyword replaces one field.  A test file that needs many records of one
shape wraps a builder in a function named for what it builds (e.g. `scripted_mutant` in
tests/jobs/test_run_check.py).
"""

from __future__ import annotations

from lean_alchemy.core.records import Declaration, Mutant


def make_mutant(i: int, **overrides) -> Mutant:
    """Mutant number `i`: id `m0000i`, the rewrite `Foo.bar_mut<i>` of `Foo.bar` in
    `Mathlib.Foo` by `Nat.add_comm`, proved by `rw`, with a one-line check unit."""
    fields = dict(
        id=f"m{i:05d}", name=f"Foo.bar_mut{i}", parent="Foo.bar", source_theorem="Foo.bar",
        source_module="Mathlib.Foo", rule="Nat.add_comm", kind="rw_goal", direction="fwd",
        location="goal", depth=1, proof_style="merged", statement="(a b : ℕ) : a + b = b + a",
        proof="by\n  rw [Nat.add_comm]", imports=("Mathlib.Foo",), header="namespace Foo",
        lean=f"namespace Foo\ntheorem bar_mut{i} : True := trivial\nend Foo")
    fields.update(overrides)
    return Mutant(**fields)


def make_declaration(full_name: str = "Foo.bar", **overrides) -> Declaration:
    """A theorem `full_name` on line 1 of module `M` (file `M.lean`), named by the last
    component of `full_name`."""
    fields = dict(full_name=full_name, name=full_name.rsplit(".", 1)[-1], kind="theorem",
                  module="M", file="M.lean", start_line=1, end_line=1)
    fields.update(overrides)
    return Declaration(**fields)

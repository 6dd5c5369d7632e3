"""Soundness and speed of refutation on a real extraction.

Usage: python benchmarks/refute.py RUN_DIR [--samples N] [--limit K] [--show N]

Evaluates every ORIGINAL theorem of RUN/declarations.parquet that falls in the fragment
(an original refuted is a bug in the evaluator, the parser or the extraction: the target is
0) and, when RUN/run.sqlite exists, every mutant.  Prints one JSON object:
originals_total, originals_evaluable, originals_refuted, originals_vacuous, mutants_total,
mutants_evaluable, mutants_refuted, mutants_vacuous, per_second (evaluable statements per
second, one core), plus examples of refuted originals/mutants and the commonest
not-evaluable reasons.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path


def _originals(run: Path, limit: int | None):
    from lean_alchemy.extract.store import read_declarations, read_scopes
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion, scope_binders
    from lean_alchemy.mutate.mutator import included_names

    decls = read_declarations(run / "declarations.parquet")
    raw = read_scopes(run / "scopes.parquet")
    scopes = raw if isinstance(raw, dict) else {s.id: s for s in raw}
    k = 0
    for d in decls:
        if not d.is_candidate or d.conclusion_ast in (None, ""):
            continue
        scope = scopes.get(d.scope_id) if d.scope_id else None
        try:
            svars = scope_binders(scope) if scope is not None else ()
            incl = included_names(scope)
            binders = tuple(decl_binders(d))
            concl = decl_conclusion(d)
        except Exception as e:  # noqa: BLE001 - an unreadable record is counted, not fatal
            yield d.full_name, None, None, f"unreadable: {type(e).__name__}"
            continue
        yield d.full_name, (svars, binders, incl), concl, None
        k += 1
        if limit and k >= limit:
            return


def split_signature(statement: str) -> tuple[str, str]:
    """`binders : conclusion` -> (binders text, conclusion text), at the first `:` outside
    brackets (binder types are inside brackets, so that `:` separates the conclusion)."""
    from lean_alchemy.grammar.statements import top_level_colon

    cut = top_level_colon(statement)
    if cut >= 0:
        return statement[:cut].strip(), statement[cut + 1:].strip()
    raise ValueError("no top-level `:` in the statement")


def header_variables(header: str) -> str:
    """The binders of the `variable` commands of a mutant's scope header, as one string."""
    out, cur = [], None
    for line in header.splitlines():
        if line.startswith("variable"):
            cur = [line[len("variable"):]]
            out.append(cur)
        elif cur is not None and line[:1].isspace():
            cur.append(line)
        else:
            cur = None
    return " ".join(" ".join(c) for c in out)


def _mutant_rows(run: Path):
    """(id, statement, header) of every mutant of the run database, whatever its status."""
    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.core.rundb import RunDB

    db = RunDB.for_run(RunDir.at(run))
    for m in db.iter_mutants(statuses=None):
        yield m.id, m.statement, m.header


def _mutants(run: Path, limit: int | None):
    db_path = run / "run.sqlite"
    if not db_path.exists():
        return
    from lean_alchemy.grammar import parse_binders, parse_term

    k = 0
    for mid, statement, header in _mutant_rows(run):
        try:
            btext, ctext = split_signature(statement)
            svars = tuple(parse_binders(header_variables(header or "")))
            incl = tuple(n for line in (header or "").splitlines()
                         if line.startswith("include ") for n in line.split()[1:])
            binders = tuple(parse_binders(btext))
            concl = parse_term(ctext)
        except Exception as e:  # noqa: BLE001 - an unreadable mutant is counted, not fatal
            yield mid, None, None, f"unreadable: {type(e).__name__}"
            continue
        yield mid, (svars, binders, incl), concl, None
        k += 1
        if limit and k >= limit:
            return


def _evaluate(items, opts, examples: int):
    from lean_alchemy.mutate.refute import refute_statement

    counts: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    refuted: list = []
    elapsed = 0.0
    for name, binders, concl, err in items:
        counts["total"] += 1
        if err:
            reasons[err] += 1
            continue
        t0 = time.perf_counter()
        svars, own, incl = binders
        r = refute_statement(own, concl, opts, section=svars, include=incl)
        dt = time.perf_counter() - t0
        counts[r.status] += 1
        if r.status == "not_evaluable":
            reasons[r.reason or ""] += 1
            continue
        elapsed += dt
        counts["evaluable"] += 1
        if r.status == "refuted" and len(refuted) < examples:
            refuted.append({"name": name, "counterexample": dict(r.counterexample or ())})
        if r.reason and r.status == "holds":
            counts["never_satisfied"] += 1
    return counts, reasons, refuted, elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--limit", type=int, default=None, help="at most K statements of each kind")
    ap.add_argument("--show", type=int, default=10, help="examples of refuted statements")
    a = ap.parse_args(argv)
    from lean_alchemy.mutate.refute import RefuteOptions

    opts = RefuteOptions() if a.samples is None else RefuteOptions(samples=a.samples)
    if not (a.run_dir / "declarations.parquet").exists():
        print(f"error: {a.run_dir}/declarations.parquet not found: run `alchemy extract` first",
              file=sys.stderr)
        return 2
    oc, orsn, oref, ot = _evaluate(_originals(a.run_dir, a.limit), opts, a.show)
    mc, mrsn, mref, mt = _evaluate(_mutants(a.run_dir, a.limit), opts, a.show)
    evaluable = oc["evaluable"] + mc["evaluable"]
    out = {
        "originals_total": oc["total"],
        "originals_evaluable": oc["evaluable"],
        "originals_refuted": oc["refuted"],
        "originals_vacuous": oc["vacuous"],
        "originals_never_satisfied": oc["never_satisfied"],
        "mutants_total": mc["total"],
        "mutants_evaluable": mc["evaluable"],
        "mutants_refuted": mc["refuted"],
        "mutants_vacuous": mc["vacuous"],
        "per_second": round(evaluable / (ot + mt), 1) if ot + mt else None,
        "refuted_originals": oref,
        "refuted_mutants": mref,
        "top_not_evaluable": orsn.most_common(15),
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

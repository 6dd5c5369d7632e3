"""The export of open statements: `RUN/statements/` (and `RUN/statements_unchecked/`).

Why apart from the corpus: an open statement (`Mutant.proof_status` "open") is a theorem
statement whose proof is `sorry`: the mutant of a library theorem that had no proof the
engine could reuse.  It is worth having (reinforcement learning and expert iteration need
provable targets of known provenance: a rewrite with an `=`/`↔` lemma is provable exactly
when its source is, an apply step gives a statement the source implies, see the `relation`
column), but it is no proof, so it never mixes with the proved rows.  The layout, schema
and dataset card are the corpus's own (`build.export`); the checked export holds the
statements Lean elaborated (`statement_ok`), the unchecked one those that await Lean.
Decontamination applies as in the corpus, including to every row derived from a library
theorem that a benchmark holds (`decontam.contaminated_sources`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lean_alchemy.core.records import Declaration
from lean_alchemy.core.rundir import RunDir

from . import sources
from .build import CorpusStats, export
from .options import CorpusOptions

STATEMENTS_DIR = "statements"
UNCHECKED_STATEMENTS_DIR = "statements_unchecked"


def statements_dir(run: RunDir, unchecked: bool = False) -> Path:
    return run.root / (UNCHECKED_STATEMENTS_DIR if unchecked else STATEMENTS_DIR)


def has_open_statements(run: RunDir) -> bool:
    """Whether the run's mutation made open statements (`[mutate] open_statements`), read
    from its stats: so a run without them never scans its database for them."""
    stats = run.read_stats("mutate") or {}
    return bool((stats.get("options") or {}).get("open_statements"))


def run_statements(run: RunDir, opts: CorpusOptions, unchecked: bool = False
                   ) -> CorpusStats | None:
    """Export the run's open statements (see the module doc); None when the run made none.
    Written to `RUN/statements/` (Lean elaborated them) or `RUN/statements_unchecked/`,
    with their stats in `RUN/statements.stats.json` / `statements_unchecked.stats.json`."""
    if not has_open_statements(run) or not run.db.exists():
        return None
    opts = dataclasses.replace(opts, include_originals=False,
                               dataset_name=f"{opts.dataset_name} open statements")
    fp = sources.declaration_fingerprinter() if opts.dedup_library else None
    decls: list[Declaration] = []
    if (opts.dedup_library or opts.decontam_files) and run.declarations.exists():
        decls = sources.read_declarations(run)
    text_fp = sources.lean_text_fingerprinter() if opts.decontam_files else None
    results = (sources.pending_batches(run, proof_status="open") if unchecked
               else sources.statement_ok_batches(run))
    out = statements_dir(run, unchecked)
    stage = out.name
    stats = export(results, out, opts, checked=not unchecked, decls=decls, fingerprint=fp,
                   text_fingerprint=text_fp, run=run,
                   drop_report=run.root / f"{stage}.dropped.jsonl")
    stats.output = str(out)
    run.write_stats(stage, stats.as_dict())
    return stats


__all__ = ["STATEMENTS_DIR", "UNCHECKED_STATEMENTS_DIR", "statements_dir",
           "has_open_statements", "run_statements"]

"""LeanDojo data read against a source tree: the source theorems it is compared with, and
the agreement report between the two readings.

Why apart from `leandojo`: reading the source tree is a second extraction (the same
per-file extractor as `alchemy extract`), and the report is what lets a user trust one
reading against the other; neither is needed to read LeanDojo data alone.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from lean_alchemy.core.records import Binder, Declaration, ExtractFailure, Scope

from .fileparse import extract_file
from .goal_state import normalize_statement
from .options import ExtractOptions
from .project import find_project
from .scope import variable_binders

MAX_LISTED = 200  # names listed per category in the agreement report


def source_binders(src: Declaration, scope: Scope | None) -> tuple[Binder, ...]:
    """The binders Lean gives a source theorem: the section `variable`s its statement
    mentions (transitively, with instance binders over them), then its own binders."""
    own = src.binders
    if scope is None:
        return own
    pool = list(variable_binders(scope))
    text = " ".join([src.conclusion or ""] + [b.type or "" for b in own])
    used: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, b in enumerate(pool):
            if i in used:
                continue
            mentioned = (b.name and re.search(rf"(?<![\w.']){re.escape(b.name)}(?![\w'])", text))
            inst_over_used = not b.name and any(
                pool[j].name and re.search(rf"(?<![\w.']){re.escape(pool[j].name)}(?![\w'])",
                                           b.type or "") for j in used)
            if mentioned or inst_over_used:
                used.add(i)
                text += " " + (b.type or "")
                changed = True
    return tuple(b for i, b in enumerate(pool) if i in used) + own


@dataclass
class SourceTree:
    candidates: dict[str, Declaration]  # full name -> theorem/lemma
    others: list[Declaration]  # defs, instances, ... (name and kind only)
    scopes: dict[str, Scope]
    files: set[str]
    failures: list[ExtractFailure]


def read_source_tree(src: Path, opts: ExtractOptions) -> SourceTree:
    project = find_project(Path(src), tuple(opts.libraries))
    files = list(project.files)
    root = project.root
    if opts.jobs != 1 and len(files) > 1:
        jobs = opts.jobs or os.cpu_count() or 1
        ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
        with ctx.Pool(jobs) as pool:
            results = pool.starmap(extract_file, [(f, root) for f in files], chunksize=8)
    else:
        results = [extract_file(f, root) for f in files]
    tree = SourceTree({}, [], {}, {f.relative_to(root).as_posix() for f in files}, [])
    for extraction in results:
        for s in extraction.scopes:
            tree.scopes[s.id] = s
        for d in extraction.declarations:
            if d.is_candidate:
                tree.candidates.setdefault(d.full_name, d)
            else:
                tree.others.append(d)
        tree.failures.extend(extraction.failures)
    return tree


def agreement(ld: dict[str, Declaration], ld_files_by_name: dict[str, str],
              tree: SourceTree) -> dict:
    """Theorems found by one reading and not the other, and statements that differ.

    `ld_files_by_name` covers every LeanDojo theorem (also those that gave no record).
    Names are compared only in files present in both (a LeanDojo dump of all of Mathlib
    read against a smaller source tree is not a disagreement); the file sets are reported.
    """
    ld_files = set(ld_files_by_name.values())
    common_files = ld_files & tree.files
    src_names = {n for n, d in tree.candidates.items() if d.file in common_files}
    ld_names = {n for n, f in ld_files_by_name.items() if f in common_files}
    only_src = sorted(src_names - ld_names)
    only_ld = sorted(ld_names - set(tree.candidates))
    differ = []
    both = sorted(n for n in src_names & set(ld))
    for n in both:
        a, b = ld[n], tree.candidates[n]
        if a.conclusion is None or b.conclusion is None:
            continue
        b_full = replace(b, binders=source_binders(b, tree.scopes.get(b.scope_id or "")))
        if normalize_statement(a.statement) != normalize_statement(b_full.statement):
            differ.append({"name": n, "leandojo": a.statement, "source": b_full.statement,
                           "conclusion_differs":
                               normalize_statement(a.conclusion) != normalize_statement(
                                   b.conclusion)})
    return {
        "files_leandojo": len(ld_files), "files_source": len(tree.files),
        "files_common": len(common_files),
        "files_only_leandojo": sorted(ld_files - tree.files)[:MAX_LISTED],
        "files_only_source": sorted(tree.files - ld_files)[:MAX_LISTED],
        "theorems_both": len(both),
        "only_source": len(only_src), "only_source_names": only_src[:MAX_LISTED],
        "only_leandojo": len(only_ld), "only_leandojo_names": only_ld[:MAX_LISTED],
        "statements_differ": len(differ),
        "conclusions_differ": sum(1 for d in differ if d["conclusion_differs"]),
        "statement_differences": differ[:MAX_LISTED],
    }


__all__ = ["MAX_LISTED", "source_binders", "SourceTree", "read_source_tree", "agreement"]

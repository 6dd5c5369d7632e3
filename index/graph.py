"""The dependency graph as Parquet node/edge tables, loaded back into networkx.

Why tables and not a pickle: a pickle ties the file to a networkx version and cannot be
read by other tools; two Parquet tables (`RUN/graph/nodes.parquet`, `edges.parquet`) can be
queried with pyarrow/duckdb/pandas directly and rebuilt into a `MultiDiGraph` in seconds.

Nodes: every declaration (full name, kind, module, file, line, attributes, parse status),
every module (kind `module`), and names from outside the project that statements mention
(kind `external`).  Edges always point from the user to the used:

| kind | from → to | attributes |
|---|---|---|
| `statement_uses` | declaration → constant its statement mentions | |
| `proof_uses` | declaration → constant named in its proof text | |
| `premise` | theorem → premise (LeanDojo traces: `RUN/premises.parquet`) | |
| `imports` | module → imported module | |
| `rw_goal`, `rw_hyp`, `apply_hyp` | candidate → rule lemma (*invocable*) | direction, location, instance (first), rule_id, count |

Invocable edges are aggregated per (candidate, lemma, kind, direction, location): `count`
says how many instances matched, `instance` shows the first one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract.leandojo import premises_path
from lean_alchemy.extract.store import write_parquet
from lean_alchemy.grammar.ast import (
    BinderGroup, Ident, IfThenElse, Let, Quant, SetBuilder, Subtype, Term, bound_in_child,
)
from lean_alchemy.grammar.walk import field_names
from lean_alchemy.index.names import Resolver, ScopeView

_STR = pa.string()
NODE_SCHEMA = pa.schema([
    ("name", _STR), ("kind", _STR), ("module", _STR), ("file", _STR), ("line", pa.int32()),
    ("attributes", pa.list_(_STR)), ("parse_status", _STR),
])
EDGE_SCHEMA = pa.schema([
    ("src", _STR), ("dst", _STR), ("kind", _STR), ("direction", _STR), ("location", _STR),
    ("instance", _STR), ("rule_id", _STR), ("count", pa.int32()),
])
INVOCABLE_KINDS = ("rw_goal", "rw_hyp", "apply_hyp")
EDGE_KINDS = ("statement_uses", "proof_uses", "premise", "imports") + INVOCABLE_KINDS


def nodes_path(run: RunDir) -> Path:
    return run.graph_dir / "nodes.parquet"


def edges_path(run: RunDir) -> Path:
    return run.graph_dir / "edges.parquet"


def nodes_table(rows: list[dict]) -> pa.Table:
    cols = {n: [r.get(n) for r in rows] for n in NODE_SCHEMA.names}
    cols["attributes"] = [list(a or ()) for a in cols["attributes"]]
    return pa.Table.from_pydict(cols, schema=NODE_SCHEMA)


def edges_table(rows: list[tuple]) -> pa.Table:
    """Rows are (src, dst, kind, direction, location, instance, rule_id, count)."""
    cols = list(zip(*rows)) if rows else [()] * len(EDGE_SCHEMA.names)
    return pa.Table.from_arrays([pa.array(list(c), type=f.type)
                                 for c, f in zip(cols, EDGE_SCHEMA)], schema=EDGE_SCHEMA)


# --------------------------------------------------------------------------- proof text

_COMMENT = re.compile(r"/-.*?-/|--[^\n]*", re.S)
_IDENT = re.compile(r"(?<![\w.'])[^\W\d][\w'!?]*(?:\.[^\W\d][\w'!?]*)*")


def proof_identifiers(proof: str | None) -> set[str]:
    """Identifier-looking tokens of proof text (comments removed): what a proof may use."""
    if not proof:
        return set()
    return set(_IDENT.findall(_COMMENT.sub(" ", proof)))


def proof_tokens(proof: str) -> list[str]:
    """`proof_identifiers` in a fixed order (the order of the proof-uses edges)."""
    return sorted(proof_identifiers(proof))


# --------------------------------------------------------------------------- edges and nodes

Edge = tuple  # (src, dst, kind, direction, location, instance, rule_id, count)
_BINDING = (Quant, SetBuilder, Subtype, Let, IfThenElse)


def constants(t: Term | None, locals_: frozenset[str]) -> set[str]:
    """Resolved identifiers of a resolved term that are not locals or bound names."""
    out: set[str] = set()
    if t is not None:
        _collect_constants(t, frozenset(), locals_, out)
    return out


def _collect_constants(t: Term, bound: frozenset[str], locals_: frozenset[str],
                       out: set[str]) -> None:
    if isinstance(t, Ident):
        head = t.name.split(".", 1)[0]
        if head not in bound and head not in locals_:
            out.add(t.name)
        return
    binding = isinstance(t, _BINDING)
    for f in field_names(type(t)):
        v = getattr(t, f)
        if isinstance(v, Term):
            extra = bound_in_child(t, f, -1) if binding else ()
            _collect_constants(v, bound | frozenset(extra) if extra else bound, locals_, out)
        elif isinstance(v, tuple) and v and isinstance(v[0], Term):
            for k, x in enumerate(v):
                extra = bound_in_child(t, f, k) if binding else ()
                _collect_constants(x, bound | frozenset(extra) if extra else bound, locals_,
                                   out)


def statement_edges(resolver: Resolver, decl: Declaration, view: ScopeView,
                    groups: tuple[BinderGroup, ...] | None, concl: Term | None,
                    locals_: frozenset[str], proof_uses: bool, out: list[Edge]) -> None:
    """Append `decl`'s `statement_uses` edges (constants of its binders and conclusion)
    and, with `proof_uses`, its `proof_uses` edges (proof identifiers that resolve) to
    `out`."""
    used: set[str] = set()
    if concl is not None:
        used |= constants(resolver.resolve_term(concl, view, locals_), locals_)
        for g in groups or ():
            for t in (g.type, g.pred, g.default):
                if t is not None:
                    used |= constants(resolver.resolve_term(t, view, locals_), locals_)
    for u in sorted(used):
        if u in resolver.table and u != decl.full_name:
            out.append((decl.full_name, u, "statement_uses", None, None, None, None, 1))
    if proof_uses and decl.proof:
        seen: set[str] = set()
        for tok in proof_tokens(decl.proof):
            if tok.split(".", 1)[0] in locals_:
                continue
            full, status = resolver.resolve_name(view, tok)
            if status == "unresolved":
                continue
            # a projection suffix (`foo.mp`) is not part of the used constant
            while full not in resolver.table and "." in full:
                full = full.rsplit(".", 1)[0]
            if full in resolver.table and full != decl.full_name and full not in seen:
                seen.add(full)
                out.append((decl.full_name, full, "proof_uses", None, None, None, None, 1))


def premise_edges(run: RunDir) -> list[Edge]:
    """The `premise` edges of a LeanDojo extraction (`RUN/premises.parquet`), if any."""
    p = premises_path(run)
    if not p.exists():
        return []
    t = pq.read_table(p)
    if "theorem" not in t.column_names or "premise" not in t.column_names:
        raise AlchemyError(f"{p}: expected columns theorem, premise (a LeanDojo extraction)")
    seen = set()
    out = []
    for a, b in zip(t.column("theorem").to_pylist(), t.column("premise").to_pylist()):
        if a and b and (a, b) not in seen:
            seen.add((a, b))
            out.append((a, b, "premise", None, None, None, None, 1))
    return out


def declaration_nodes(decls: list[Declaration], scopes: dict[str, Scope]
                      ) -> tuple[list[dict], list[Edge]]:
    """Node rows of every declaration and module, and the `imports` edges."""
    rows: list[dict] = []
    seen: set[str] = set()
    modules: dict[str, tuple[str, ...]] = {}
    for d in decls:
        if d.full_name not in seen:
            seen.add(d.full_name)
            rows.append({"name": d.full_name, "kind": d.kind, "module": d.module,
                         "file": d.file, "line": d.start_line, "attributes": d.attributes,
                         "parse_status": d.parse_status})
        modules.setdefault(d.module, ())
    for s in scopes.values():
        if s.imports or s.module not in modules:
            modules[s.module] = tuple(dict.fromkeys(modules.get(s.module, ()) + s.imports))
    edges = []
    for m, imps in sorted(modules.items()):
        if m not in seen:
            seen.add(m)
            rows.append({"name": m, "kind": "module", "module": m, "file": None, "line": None,
                         "attributes": (), "parse_status": None})
        for imp in imps:
            edges.append((m, imp, "imports", None, None, None, None, 1))
    return rows, edges


def add_external_nodes(rows: list[dict], edges: Iterable[Edge]) -> None:
    """Append a node of kind `external` for every edge endpoint without a node."""
    known = {r["name"] for r in rows}
    for e in edges:
        for n in (e[0], e[1]):
            if n not in known:
                known.add(n)
                rows.append({"name": n, "kind": "external", "module": None, "file": None,
                             "line": None, "attributes": (), "parse_status": None})


# --------------------------------------------------------------------------- reading back

def _require(run: RunDir) -> None:
    for p in (nodes_path(run), edges_path(run)):
        if not p.exists():
            raise AlchemyError(f"{p} does not exist: run `alchemy index --run-dir {run.root}` "
                               "first")


def iter_edges(run: RunDir, kinds: Iterable[str] | None = None) -> Iterator[dict]:
    _require(run)
    filters = [("kind", "in", list(kinds))] if kinds is not None else None
    t = pq.read_table(edges_path(run), filters=filters)
    yield from t.to_pylist()


def load_graph(run: RunDir, kinds: Iterable[str] | None = None):
    """The graph as a `networkx.MultiDiGraph` (optionally only some edge kinds)."""
    import networkx as nx  # lazy: ~0.4 s of import that only this reader needs

    _require(run)
    g = nx.MultiDiGraph()
    nodes = pq.read_table(nodes_path(run)).to_pylist()
    g.add_nodes_from((n.pop("name"), n) for n in nodes)
    filters = [("kind", "in", list(kinds))] if kinds is not None else None
    t = pq.read_table(edges_path(run), filters=filters)
    cols = {n: t.column(n).to_pylist() for n in EDGE_SCHEMA.names}
    for i in range(t.num_rows):
        attrs = {"kind": cols["kind"][i]}
        if cols["kind"][i] in INVOCABLE_KINDS:
            for k in ("direction", "location", "instance", "rule_id", "count"):
                attrs[k] = cols[k][i]
        g.add_edge(cols["src"][i], cols["dst"][i], key=cols["kind"][i] + (
            f"/{cols['direction'][i]}/{cols['location'][i]}"
            if cols["kind"][i] in INVOCABLE_KINDS else ""), **attrs)
    return g


def write_nodes(run: RunDir, nodes: pa.Table) -> None:
    write_parquet(nodes_path(run), nodes)


__all__ = ["NODE_SCHEMA", "EDGE_SCHEMA", "EDGE_KINDS", "INVOCABLE_KINDS", "load_graph",
           "iter_edges", "write_nodes", "proof_identifiers", "proof_tokens", "nodes_table",
           "edges_table", "constants", "statement_edges", "premise_edges",
           "declaration_nodes", "add_external_nodes"]

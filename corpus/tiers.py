"""Difficulty tiers from row features: ordered rules, or quantiles of one feature.

Rules (`tier_method = "rules"`): each rule is `TIER: CONDITION`, tried in order, first match
wins; CONDITION is `*` (always) or comparisons `FEATURE OP NUMBER` (OP one of
`>= > <= < == !=`) joined by `and` / `or` (`and` binds tighter).  FEATURE is any `features`
field or `extra` key; a missing/null feature makes its comparison false.  Rows that match no
rule get the last tier name.  Quantiles (`tier_method = "quantiles"`): the corpus-wide
quantiles of `tier_feature` at the cut points `tier_quantiles` split the rows into
`tier_names` in order (by default: below the median easy, up to the 85th percentile medium,
above hard); ties go to the lower tier.
"""

from __future__ import annotations

import bisect
import operator
import re
from dataclasses import dataclass
from typing import Callable, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from lean_alchemy.core.errors import AlchemyError

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne}
_PC_OPS = {">=": pc.greater_equal, ">": pc.greater, "<=": pc.less_equal, "<": pc.less,
           "==": pc.equal, "!=": pc.not_equal}
_CMP = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d*)?(?:e-?\d+)?)\s*$")


@dataclass(frozen=True)
class Rule:
    tier: str
    clauses: tuple[tuple[tuple[str, str, float], ...], ...]  # OR of ANDs; () = always

    def matches(self, feats: dict) -> bool:
        if not self.clauses:
            return True
        for conj in self.clauses:
            if all(_holds(feats, f, op, x) for f, op, x in conj):
                return True
        return False


def _holds(feats: dict, f: str, op: str, x: float) -> bool:
    v = feats.get(f)
    return v is not None and _OPS[op](v, x)


def parse_rule(text: str) -> Rule:
    tier, sep, cond = text.partition(":")
    tier = tier.strip()
    if not sep or not re.fullmatch(r"[\w-]+", tier):
        raise AlchemyError(f"tier rule {text!r}: expected `TIER: CONDITION`")
    cond = cond.strip()
    if cond in ("*", ""):
        return Rule(tier, ())
    clauses = []
    for disj in re.split(r"\s+or\s+", cond):
        conj = []
        for c in re.split(r"\s+and\s+", disj):
            m = _CMP.match(c)
            if not m:
                raise AlchemyError(
                    f"tier rule {text!r}: cannot read {c.strip()!r}; expected FEATURE OP NUMBER")
            conj.append((m.group(1), m.group(2), float(m.group(3))))
        clauses.append(tuple(conj))
    return Rule(tier, tuple(clauses))


def flat_features(feats: dict) -> dict:
    """`features` struct with its `extra` pairs lifted to top-level keys (fixed fields win)."""
    out = {k: v for k, v in feats.items() if k != "extra"}
    for kv in feats.get("extra") or ():
        out.setdefault(kv["key"], kv["value"])
    return out


def flat_column(feats: pa.StructArray, name: str) -> pa.Array:
    """One feature of a batch: a struct field, else the `extra` value of that key (or null)."""
    if feats.type.get_field_index(name) >= 0 and name != "extra":
        return feats.field(name)
    vals = [next((kv["value"] for kv in kvs or () if kv["key"] == name), None)
            for kvs in feats.field("extra").to_pylist()]
    return pa.array(vals, pa.float64())


class Tierer:
    def __init__(self, method: str, rules: Iterable[str] = (), names: tuple[str, ...] = (),
                 feature: str = "difficulty", cuts: tuple[float, ...] = ()):
        self.method = method
        self.rules = [parse_rule(r) for r in rules]
        self.names = tuple(names) or tuple(dict.fromkeys(r.tier for r in self.rules))
        self.feature = feature
        self.cuts = cuts  # feature values (not probabilities) once fitted
        if method == "rules" and not self.rules:
            raise AlchemyError("tier_method = rules needs at least one tier rule")

    @staticmethod
    def quantile_cuts(values: list[float], probs: tuple[float, ...]) -> tuple[float, ...]:
        """Nearest-rank quantiles: deterministic and exact on any input size."""
        if not values:
            return tuple(0.0 for _ in probs)
        v = sorted(values)
        return tuple(v[min(len(v) - 1, max(0, int(p * len(v) + 0.5) - 1))] for p in probs)

    def tier_of(self, feats: dict) -> str:
        flat = flat_features(feats)
        if self.method == "quantiles":
            x = flat.get(self.feature)
            if x is None:
                return self.names[0]
            return self.names[bisect.bisect_left(self.cuts, x)]
        for r in self.rules:
            if r.matches(flat):
                return r.tier
        return self.rules[-1].tier

    def tier_array(self, feats: pa.StructArray) -> pa.Array:
        """Tiers of a whole batch (vectorized twin of `tier_of`, same semantics)."""
        n = len(feats)
        if n == 0:
            return pa.array([], pa.string())
        cache: dict[str, pa.Array] = {}

        def column(name: str) -> pa.Array:
            a = cache.get(name)
            if a is None:
                a = cache[name] = flat_column(feats, name)
            return a

        if self.method == "quantiles":
            x = column(self.feature)
            idx = pa.array([0] * n, pa.int64())
            for c in self.cuts:
                idx = pc.add(idx, pc.cast(pc.fill_null(pc.greater(x, c), False), pa.int64()))
            names = pa.array(list(self.names), pa.string())
            return pc.take(names, idx)
        out = pa.array([self.rules[-1].tier] * n, pa.string())
        for r in reversed(self.rules):
            if not r.clauses:
                out = pa.array([r.tier] * n, pa.string())
                continue
            mask = None
            for conj in r.clauses:
                m = None
                for f, op, x in conj:
                    c = pc.fill_null(_PC_OPS[op](column(f), x), False)
                    m = c if m is None else pc.and_(m, c)
                mask = m if mask is None else pc.or_(mask, m)
            out = pc.if_else(mask, r.tier, out)
        return out

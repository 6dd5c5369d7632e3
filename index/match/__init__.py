"""Which rule fires where: a discrimination tree over rule patterns and first-order
matching, with type filters that drop a match only when the types certainly differ.

Modules: `patterns` (pattern symbols, flattened candidates), `trie`, `hints` (the types a
statement gives its sub-terms), `rigid` (rigid heads of pattern-variable types), `matcher`
(compiled rules, matching, the type filter), `targets` (the conclusion and the hypotheses a
rule may rewrite), `rule_index` (`RuleIndex`: the invocations of a theorem under a
per-theorem quota).
"""

from lean_alchemy.core.native import extend_path

extend_path(__name__, __path__)  # compiled modules, when built and current (core/native.py)

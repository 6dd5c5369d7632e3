"""The check stage: Lean checks every pending mutant of the run database, in parallel and
resumably (lean-json batch files or a REPL pool; local processes or Ray)."""

"""The `alchemy` command line: the dispatch table over every stage's commands, and `alchemy run`,
the whole pipeline.  It comes after every stage, so it may import any of them."""

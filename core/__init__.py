"""Shared infrastructure of every stage: typed records, the run configuration, the run
directory and its run database, and the loader of the compiled build."""

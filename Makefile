# The two commands a newcomer needs: `make demo` and `make test`. Both create .venv themselves.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUN_DIR ?= alchemy-run

.PHONY: demo test install native bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) native

# The hot modules compiled with mypyc into .native/ (core/native.py); rebuilt only when
# their sources changed.  Without a C compiler the build fails and everything runs as
# pure Python, with the same results, more slowly.
native: $(STAMP)
	$(BIN)/python tools/build_native.py --if-stale || \
		echo "make native: compiled build failed; lean-alchemy runs as pure Python" >&2

test: $(STAMP) native
	$(BIN)/python -m pytest -q

demo: $(STAMP) native
	$(BIN)/alchemy run lean_workspace --run-dir $(RUN_DIR)

clean:
	rm -rf $(RUN_DIR) .pytest_cache build .native *.egg-info

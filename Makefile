VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install install-test demo test bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(VENV)/bin/activate
	$(PY) -m pip install --quiet -e .

install-test: $(VENV)/bin/activate
	$(PY) -m pip install --quiet -e '.[test]'

demo: install
	$(VENV)/bin/srm-bridge demo

test: install-test
	$(PY) -m pytest -q

bench: install-test
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench

clean:
	rm -rf $(VENV) srm-bridge.db srm-bridge.db-* srm-bridge-data srm-bridge-demo bench/results.json

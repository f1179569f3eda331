VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

# PDF reports are printed by WeasyPrint, which needs Pango and a font; the browser tests need Chromium.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
BROWSER_PACKAGES := chromium chromium-driver
# Another install in progress (a second checkout, unattended upgrades) holds the dpkg lock: wait for it.
APT := apt-get -o DPkg::Lock::Timeout=600
APT_INSTALL := DEBIAN_FRONTEND=noninteractive $(APT) install -y -q

.PHONY: install install-test demo test bench constraints clean system-packages browser

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(VENV)/bin/activate system-packages
	$(PY) -m pip install --quiet -e .

install-test: $(VENV)/bin/activate system-packages browser
	$(PY) -m pip install --quiet -e '.[test]'

# Installed only when missing, and only as root (CI, containers); otherwise say what to install.
system-packages:
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! fc-list 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ]; then $(APT) update -q && $(APT_INSTALL) $(PDF_PACKAGES); \
	  else echo "PDF reports need: sudo apt-get install $(PDF_PACKAGES)"; fi; fi

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then $(APT) update -q && $(APT_INSTALL) $(BROWSER_PACKAGES); \
	  else echo "the browser tests need: sudo apt-get install $(BROWSER_PACKAGES)"; fi; fi

demo: install
	$(VENV)/bin/srm-bridge demo

test: install-test
	$(PY) -m pytest -q

bench: install-test
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench

# The versions the container image installs: a fresh venv with the runtime dependencies only, frozen.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade pip
	.venv-constraints/bin/python -m pip install --quiet .
	{ echo "# Runtime dependency versions the container image installs; regenerate with: make constraints"; \
	  .venv-constraints/bin/python -m pip freeze --exclude srm-bridge; } > constraints.txt
	rm -rf .venv-constraints build

clean:
	rm -rf $(VENV) srm-bridge.db srm-bridge.db-* srm-bridge.db.leader srm-bridge-data srm-bridge-demo bench/results.json

# xenha: the usual targets. `make deps` needs root on Debian 12; everything else runs from the checkout.
PREFIX   ?= /usr
DESTDIR  ?=
OCF_ROOT ?= /usr/lib/ocf
PYTHON   ?= /usr/bin/python3
VENV     ?= .venv
INSTALL_ARGS = --destdir "$(DESTDIR)" --prefix "$(PREFIX)" --ocf-root "$(OCF_ROOT)"

# Debian packages: the runtime (python3-*), the real cluster stack and peers we test against, and test tools.
DEB_RUNTIME = python3 python3-lxml python3-daemon python3-filelock
DEB_TEST    = python3-pytest python3-hypothesis python3-venv python3-pip libxml2-utils resource-agents \
              pacemaker pacemaker-cli-utils corosync crmsh fence-agents vblade drbd-utils iproute2 procps \
              aoetools heartbeat pcs make git

.PHONY: all deps dev-tools install uninstall install-lab uninstall-lab lint typecheck test test-fast check bench bench-scale clean

all:
	@echo "targets: deps install uninstall install-lab uninstall-lab lint typecheck test check bench bench-scale"

deps:
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_RUNTIME) $(DEB_TEST)
	$(MAKE) dev-tools

# ruff and mypy are developer tools from PyPI (Debian 12 has no ruff); they live in a venv that sees Debian's lxml.
dev-tools: $(VENV)/bin/ruff
$(VENV)/bin/ruff:
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q ruff mypy

install:
	$(PYTHON) packaging/install.py install $(INSTALL_ARGS)

uninstall:
	$(PYTHON) packaging/install.py uninstall $(INSTALL_ARGS)

install-lab:
	$(PYTHON) packaging/install.py install --lab $(INSTALL_ARGS)

uninstall-lab:
	$(PYTHON) packaging/install.py uninstall --lab $(INSTALL_ARGS)

lint: dev-tools
	$(VENV)/bin/ruff check lib tests packaging bench
	$(VENV)/bin/ruff format --check lib tests packaging bench

typecheck: dev-tools
	$(VENV)/bin/mypy --strict lib/xenha lib/xenha_sim

test:
	$(PYTHON) -m pytest -p no:cacheprovider

# Everything but the lab (Pacemaker) and the slow tests: a few minutes.
test-fast:
	$(PYTHON) -m pytest -p no:cacheprovider -q -m "not slow" tests/unit tests/agents tests/sim

check: lint typecheck test

# Benchmarks print CPU figures and assert nothing; the tests never run them.
bench:
	$(PYTHON) bench/run.py
	$(PYTHON) bench/scale.py

bench-scale:
	$(PYTHON) bench/scale.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +

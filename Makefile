# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
# xenha: the usual targets. `make deps` needs root on Debian 12; everything else runs from the checkout.
PREFIX   ?= /usr
DESTDIR  ?=
OCF_ROOT ?= /usr/lib/ocf
PYTHON   ?= /usr/bin/python3
VENV     ?= .venv
# fence_noop goes where pacemaker-fenced looks for fence agents, whatever PREFIX says.
FENCE_DIR ?= /usr/sbin
INSTALL_ARGS = --destdir "$(DESTDIR)" --prefix "$(PREFIX)" --ocf-root "$(OCF_ROOT)" --fence-dir "$(FENCE_DIR)"
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' lib/xenha/__init__.py)
SRC      = build/src/xenha-$(VERSION)

# Debian packages: the runtime (python3-*), the real cluster stack and peers we test against, and test tools.
DEB_RUNTIME = python3 python3-lxml python3-daemon python3-filelock
DEB_TEST    = python3-pytest python3-hypothesis python3-venv python3-pip libxml2-utils resource-agents \
              pacemaker pacemaker-cli-utils corosync crmsh fence-agents vblade drbd-utils iproute2 procps \
              aoetools heartbeat pcs make git strace systemd
# Building and checking the packages and man pages (make deb, lintian, rpm; man, groff and lexgrog in the tests).
DEB_BUILD   = build-essential debhelper dh-python python3-all python3-setuptools lintian rpm man-db

.PHONY: all deps dev-tools man install uninstall install-lab uninstall-lab lint typecheck test test-fast fuzz check bench \
        bench-scale clean srctree deb lintian rpm package-check

all:
	@echo "targets: deps install uninstall install-lab uninstall-lab lint typecheck test check bench bench-scale" \
	      "deb rpm package-check"

deps:
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_RUNTIME) $(DEB_TEST) \
	    $(DEB_BUILD)
	$(MAKE) dev-tools

# ruff and mypy are developer tools from PyPI (Debian 12 has no ruff); they live in a venv that sees Debian's lxml.
dev-tools: $(VENV)/bin/ruff
$(VENV)/bin/ruff:
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q ruff mypy

# The man pages, generated from the agents' declarations (packaging/man/build.py).
man:
	$(PYTHON) packaging/man/build.py --outdir build/man

install: man
	$(PYTHON) packaging/install.py install $(INSTALL_ARGS) --man-dir build/man

uninstall:
	$(PYTHON) packaging/install.py uninstall $(INSTALL_ARGS)

install-lab: man
	$(PYTHON) packaging/install.py install --lab $(INSTALL_ARGS) --man-dir build/man

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

# The fuzz suite's long profile (tests/fuzz, in-process): >= 20,000 examples, counts per agent and action at the end.
fuzz:
	XENHA_FUZZ=long $(PYTHON) -m pytest -p no:cacheprovider -q tests/fuzz

# The packages are checked before pytest: its lab tests install from the checkout after the purge.
check: lint typecheck package-check test

# The files a source package would hold: what git tracks, plus new files not yet ignored.
srctree:
	rm -rf build/src && mkdir -p $(SRC)
	git ls-files -z -co --exclude-standard -- . ':!:.wip' | \
	    tar --null --ignore-failed-read -T - -cf - | tar -xf - -C $(SRC)

# xenha and xenha-lab .debs into dist/, built from a copy of the tree with packaging/debian as debian/.
deb: srctree
	rm -rf build/deb && mkdir -p build/deb dist && cp -a $(SRC) build/deb/
	cp -a packaging/debian build/deb/xenha-$(VERSION)/debian
	cd build/deb/xenha-$(VERSION) && dpkg-buildpackage -us -uc -b
	rm -f dist/xenha_* dist/xenha-lab_*
	cp build/deb/*.deb build/deb/*.changes build/deb/*.buildinfo dist/

# No error and no warning. Informational tags are shown; the expected ones: package-supports-alternative-init-but-
# no-init.d-script (the boot guard is a systemd unit; xenha-bootguard start|stop|status is LSB-like for other inits)
# and spare-manual-page for xendomainsHA(8) (the scripts are run by heartbeat from /etc/ha.d, not from the PATH).
lintian:
	lintian -I --fail-on error,warning dist/xenha_$(VERSION)_*.changes

rpm: srctree
	rpmspec -P packaging/xenha.spec >/dev/null
	rm -rf build/rpm && mkdir -p build/rpm/SOURCES dist
	tar -C build/src -czf build/rpm/SOURCES/xenha-$(VERSION).tar.gz xenha-$(VERSION)
	rpmbuild --quiet -bb --nodeps --define "_topdir $(CURDIR)/build/rpm" packaging/xenha.spec
	cp build/rpm/RPMS/noarch/*.rpm dist/

# Build, lint, install the .debs with apt, test the installed files and the demo, purge, check nothing is left.
package-check: deb lintian rpm
	flock /tmp/xenha-lab.lock $(PYTHON) tests/packaging/package_check.py dist

# Benchmarks print CPU figures and assert nothing; the tests never run them.
bench:
	$(PYTHON) bench/run.py
	$(PYTHON) bench/scale.py

bench-scale:
	$(PYTHON) bench/scale.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +

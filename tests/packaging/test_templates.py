# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The /etc/default templates and the boot guard's systemd unit: they parse, and they document the real defaults."""

from __future__ import annotations

import inspect
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from xenha.hb1.config import group_config, parse_shell_vars
from xenha.tools.bootguard import BootSettings, settings_from

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = REPO / "packaging" / "default"
UNIT = REPO / "packaging" / "systemd" / "xenha-bootguard.service"
# A commented setting: `#NAME=value`, as the templates show each default.
_COMMENTED = re.compile(r"^#([A-Z_][A-Z0-9_]*=.*)$", re.MULTILINE)


# Settings of /etc/default/xendomains that group_config reads only to say they are not used.
GROUP_IGNORED = {"LOCKFILE", "XENDOMAINS_AUTO_ONLY", "XENDOMAINS_SHUTDOWN_ALL", "XENDOMAINS_SYSRQ"}


def read_by(function: Callable[..., object]) -> set[str]:
    """The variable names a settings reader's source asks for (quoted upper-case words, e.g. "XENHA_PEER")."""
    return set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', inspect.getsource(function)))


def uncommented(text: str) -> str:
    """The template with every commented `#NAME=value` line switched on."""
    return _COMMENTED.sub(r"\1", text)


@pytest.mark.parametrize("group", ["1", "2"])
def test_group_template_is_valid_and_its_commented_values_are_the_defaults(group):
    text = (DEFAULTS / f"xendomainsHA{group}").read_text()
    active = group_config(group, parse_shell_vars(text))
    assert active.auto_dir == f"/etc/xen/auto/HA{group}"  # each group needs a directory of its own
    switched_on = parse_shell_vars(uncommented(text))
    # every setting the code reads is shown with its default; the ones it ignores are named as ignored
    assert read_by(group_config) - GROUP_IGNORED <= {a.name for a in switched_on.assignments}
    assert all(name in text for name in GROUP_IGNORED)
    # Switching every documented value on changes nothing: the template shows the code's defaults.
    assert group_config(group, switched_on) == active


def test_bootguard_template_is_valid_and_its_commented_values_are_the_defaults():
    text = (DEFAULTS / "xenha-bootguard").read_text()
    assert settings_from(parse_shell_vars(text), {}) == BootSettings()
    switched_on = parse_shell_vars(uncommented(text))
    assert read_by(settings_from) <= {a.name for a in switched_on.assignments}
    assert settings_from(switched_on, {}) == BootSettings()


class Unit:
    """A unit file's settings; a key given on several lines (After=, Before=) keeps every value, as systemd does."""

    def __init__(self, text: str) -> None:
        self.values: dict[tuple[str, str], list[str]] = {}
        section = ""
        for line in text.splitlines():
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
            elif line and not line.startswith("#"):
                key, value = line.split("=", 1)
                self.values.setdefault((section, key), []).append(value)

    def get(self, section: str, key: str) -> str:
        (value,) = self.values[(section, key)]
        return value

    def words(self, section: str, key: str) -> set[str]:
        return {word for value in self.values[(section, key)] for word in value.split()}


def _unit() -> Unit:
    return Unit(UNIT.read_text())


def test_bootguard_unit_runs_before_the_cluster_managers_and_reads_its_defaults():
    unit = _unit()
    assert {"pacemaker.service", "heartbeat.service", "xendomains.service"} <= unit.words("Unit", "Before")
    assert {"local-fs.target", "drbd.service"} <= unit.words("Unit", "After")
    assert unit.get("Service", "Type") == "oneshot"
    assert unit.get("Service", "EnvironmentFile") == "-/etc/default/xenha-bootguard"
    # xenha-bootguard's own actions: start leaves a waiting daemon behind, so the unit must stay active
    assert unit.get("Service", "ExecStart") == "/usr/sbin/xenha-bootguard start"
    assert unit.get("Service", "ExecStop") == "/usr/sbin/xenha-bootguard stop"
    assert unit.get("Service", "ExecReload") == "/usr/sbin/xenha-bootguard reload"
    assert unit.get("Service", "RemainAfterExit") == "yes"
    # stopping the unit must not kill the xl and qemu processes `xl create` left in its cgroup
    assert unit.get("Service", "KillMode") == "process"
    assert unit.get("Install", "WantedBy") == "multi-user.target"


def test_bootguard_unit_passes_systemd_analyze_verify():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    verify = subprocess.run([analyze, "verify", str(UNIT)], capture_output=True, text=True, check=False, timeout=60)
    # Only the man page may be missing (it is installed with the package, not from the checkout).
    problems = [line for line in verify.stderr.splitlines() if line.strip() and "man xenha-bootguard(8)" not in line]
    assert problems == [], verify.stderr

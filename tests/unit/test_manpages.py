# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""packaging/man/build.py: every page is written, documents every parameter, action and option, and is clean roff."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pacemaker import can_use_checkout_agents, with_checkout_agents
from xenha.ocf.decl import Action, Agent, Parameter
from xenha.ocf.metadata import render_metadata

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "packaging/man/build.py"
PAGES = (
    "ocf_xenha_XenDomainHA.7",
    "ocf_xenha_DrbdDualPrimary.7",
    "ocf_xenha_AoEExport.7",
    "ocf_xenha_O2cbCluster.7",
    "fence_noop.8",
    "xenha.8",
    "xenha-bootguard.8",
    "xenha-migrate.8",
    "xendomainsHA.8",
    "xenha-lab.8",
    "xenha-sim.8",
)
# lintian's manpage check: `LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z PAGE`
LINTIAN_ENV = {**os.environ, "LC_ALL": "C.UTF-8", "MANROFFSEQ": "", "MANWIDTH": "80"}


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("xenha_man_build", BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


man = _load_build()
AGENTS: list[Agent] = man.agents()


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pages as the packaging builds them: /usr/bin/python3 build.py --outdir DIR, in a fresh process."""
    out = tmp_path_factory.mktemp("man") / "pages"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764806400"}  # 2025-12-04
    done = _run(["/usr/bin/python3", str(BUILD), "--outdir", str(out)], env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return out


def sections(text: str) -> dict[str, str]:
    """The roff source of each `.SH` section, by title."""
    found: dict[str, str] = {}
    title = None
    for line in text.splitlines():
        if line.startswith(".SH "):
            title = line[4:].strip().strip('"')
            found[title] = ""
        elif title is not None:
            found[title] += line + "\n"
    return found


def tagged(section: str) -> list[tuple[str, str]]:
    """(tag, body) of every `.TP` item of a section."""
    items = []
    for chunk in section.split(".TP\n")[1:]:
        tag, _, body = chunk.partition("\n")
        items.append((tag, body))
    return items


def bold(name: str) -> str:
    return "\\fB" + name.replace("\\", "\\e").replace("-", "\\-") + "\\fR"


# --- the interface the packaging calls ------------------------------------------------------------------------------


def test_build_writes_every_page(outdir):
    assert sorted(p.name for p in outdir.iterdir()) == sorted(PAGES)
    assert sorted(man.page_names()) == sorted(PAGES)
    for name in PAGES:
        text = (outdir / name).read_text(encoding="utf-8")
        th = next(line for line in text.splitlines() if line.startswith(".TH "))
        assert th.split()[1:3] == [f'"{name.rsplit(".", 1)[0].upper()}"', f'"{name.rsplit(".", 1)[1]}"']
        assert '"2025-12-04"' in th, th
        assert f'"xenha {man.__version__}"' in th
        assert not re.search(r"@[A-Z0-9_]+@", text), f"{name}: a placeholder was left unfilled"


def test_build_fails_with_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = _run(["/usr/bin/python3", str(BUILD), "--outdir", str(blocker / "sub")])
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("build.py: "), done.stderr
    env = {**os.environ, "SOURCE_DATE_EPOCH": "yesterday"}
    done = _run(
        ["/usr/bin/python3", str(BUILD), "--outdir", str(tmp_path / "out")],
        env=env,
    )
    assert (done.returncode, done.stderr) == (1, "build.py: SOURCE_DATE_EPOCH='yesterday' is not a number of seconds\n")


# --- ocf_xenha_<Agent>(7) from the declaration ----------------------------------------------------------------------


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)
def test_every_parameter_in_its_page(outdir, agent):
    page = sections((outdir / f"ocf_xenha_{agent.name}.7").read_text())
    items = dict(tagged(page["SUPPORTED PARAMETERS"]))
    assert list(items) == [bold(p.name) for p in agent.parameters]
    for param in agent.parameters:
        body = items[bold(param.name)]
        facts = body.rstrip("\n").rsplit("\n", 1)[1].strip("()").split(", ")
        assert facts[0] == ("required" if param.required else "optional")
        assert param.type in facts
        if param.default is not None:
            assert f'default "{man.esc(param.default)}"' in facts
        assert ("reloadable" in facts) == param.reloadable
        assert ("unique" in facts) == param.unique
        assert man.esc(param.longdesc.split("\n")[0].strip()[:60]) in body


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)
def test_every_action_in_its_page_with_advised_timeouts(outdir, agent):
    page = sections((outdir / f"ocf_xenha_{agent.name}.7").read_text())
    items = tagged(page["SUPPORTED ACTIONS"])
    assert len(items) == len(man.ocf_actions(agent))
    for (tag, body), action in zip(items, man.ocf_actions(agent), strict=True):
        assert tag.startswith(bold(action.name))
        assert f"Suggested minimum timeout: {action.timeout}s." in body
        if action.interval:
            assert f"Suggested interval: {action.interval}s." in body
        if action.depth:
            assert f"OCF_CHECK_LEVEL={action.depth}" in tag
        if action.role:
            assert action.role in tag
    synopsis = page["SYNOPSIS"]
    for action in agent.actions:
        assert man.esc(action.name) in synopsis


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)
def test_actions_are_those_of_the_ocf_1_1_metadata(agent):
    from lxml import etree

    doc = etree.fromstring(render_metadata(agent, ocf_1_1=True).encode())
    listed = [(a.get("name"), a.get("timeout"), a.get("interval")) for a in doc.iterfind("actions/action")]
    ours = [(a.name, f"{a.timeout}s", None if a.interval is None else f"{a.interval}s") for a in man.ocf_actions(agent)]
    assert ours == listed


def test_every_action_has_its_own_text():
    for agent in AGENTS:
        for action in man.ocf_actions(agent):
            assert action.name in man.ACTION_TEXT, f"{agent.name}: describe {action.name} in build.py ACTION_TEXT"


def test_a_new_parameter_and_action_appear_without_touching_the_generator():
    base = AGENTS[0]
    extra = Parameter("brand_new_knob", "a new knob", "Turns the new knob.\n\nSecond paragraph.", default="7")
    agent = Agent(
        base.name,
        base.version,
        base.shortdesc,
        base.longdesc,
        (*base.parameters, extra),
        (*base.actions, Action("monitor", 42, interval=77, depth=20)),
    )
    page = sections(man.ocf_page(agent, "2025-12-04", [a.name for a in AGENTS]))
    params = dict(tagged(page["SUPPORTED PARAMETERS"]))
    assert 'default "7"' in params[bold("brand_new_knob")]
    assert "Second paragraph." in params[bold("brand_new_knob")]
    assert any(
        "OCF_CHECK_LEVEL=20" in tag and "timeout: 42s" in body for tag, body in tagged(page["SUPPORTED ACTIONS"])
    )
    assert "OCF_CHECK_LEVEL=20" in page["EXAMPLE CRM SHELL"] and "OCF_CHECK_LEVEL=20" in page["EXAMPLE PCS"]


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)
def test_examples_set_every_required_parameter_and_the_advised_timeouts(outdir, agent):
    page = sections((outdir / f"ocf_xenha_{agent.name}.7").read_text())
    example = man.EXAMPLES[agent.name]
    for title, lines in (
        ("EXAMPLE CRM SHELL", man.crm_example(agent, example)),
        ("EXAMPLE PCS", man.pcs_example(agent, example)),
    ):
        shown = page[title]
        for line in lines:  # the page shows the example as written, escaped
            assert man.literal([line])[3] in shown.splitlines(), (title, line)
        text = "\n".join(lines)
        assert f"ocf:xenha:{agent.name}" in text
        for param in agent.parameters:
            if param.required:
                assert re.search(rf"\b{re.escape(param.name)}=", text), (title, param.name)
        for action in agent.actions:
            if action.name in ("start", "stop", "promote", "demote", "notify", "monitor", "migrate_to"):
                assert " ".join(man.op_words(action)) in text, (title, action)


def crm_configuration() -> str:
    """Every page's crm shell example in one configuration (the DRBD clone also as r1 and r2, which the AoE and
    OCFS2 examples use); fencing off, since this checks the syntax and the references, not a cluster."""
    drbd = next(a for a in AGENTS if a.name == "DrbdDualPrimary")
    drbd_text = "\n".join(man.crm_example(drbd, man.EXAMPLES["DrbdDualPrimary"]))
    parts = [drbd_text, drbd_text.replace("r0", "r1"), drbd_text.replace("r0", "r2")]
    parts += ["\n".join(man.crm_example(a, man.EXAMPLES[a.name])) for a in AGENTS if a.name != "DrbdDualPrimary"]
    return "\n".join([*parts, "property stonith-enabled=false", ""])


def _no_cluster_tools() -> str | None:
    missing = [t for t in ("crm", "cibadmin", "crm_verify") if shutil.which(t) is None]
    return f"needs {' '.join(missing)} (make deps)" if missing else None


@pytest.mark.skipif(_no_cluster_tools() is not None, reason=str(_no_cluster_tools()))
@pytest.mark.skipif(can_use_checkout_agents() is not None, reason=str(can_use_checkout_agents()))
def test_crm_examples_load_into_an_empty_cib_and_pass_crm_verify(tmp_path):
    """crmsh reads every example (it loads ocf:xenha resources without their meta-data) and crm_verify accepts
    the result: ids, references between the examples, op attributes such as OCF_CHECK_LEVEL."""
    cib, conf = tmp_path / "cib.xml", tmp_path / "examples.crm"
    cib.write_text(_run(["cibadmin", "--empty"]).stdout)
    conf.write_text(crm_configuration())
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    done = _run(
        with_checkout_agents(["crm", "-F", "configure", "load", "update", str(conf)]), env={**env, "CIB_file": str(cib)}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ERROR: ocf" not in done.stdout + done.stderr
    xml = cib.read_text()
    for rid in ("drbd-r0", "ms-drbd-r0", "ms-drbd-r1", "web1", "aoe-r1", "o2cb-clone", "fs-clone"):
        assert f'id="{rid}"' in xml, rid
    assert xml.count('name="OCF_CHECK_LEVEL" value="10"') == 2  # XenDomainHA's and AoEExport's deep monitors
    done = _run(["crm_verify", "-x", str(cib)])
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def pcs_commands() -> list[list[str]]:
    """Every page's pcs example as argument lists, with the DRBD clone also as r1 and r2 (see crm_configuration)."""
    import shlex

    drbd = next(a for a in AGENTS if a.name == "DrbdDualPrimary")
    drbd_text = "\n".join(man.pcs_example(drbd, man.EXAMPLES["DrbdDualPrimary"]))
    parts = [drbd_text, drbd_text.replace("r0", "r1"), drbd_text.replace("r0", "r2")]
    parts += ["\n".join(man.pcs_example(a, man.EXAMPLES[a.name])) for a in AGENTS if a.name != "DrbdDualPrimary"]
    joined = "\n".join(parts).replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip()]


@pytest.mark.slow  # pcs starts an interpreter per command: 13 commands, about 10 s
@pytest.mark.skipif(shutil.which("pcs") is None or shutil.which("crm_verify") is None, reason="needs pcs (make deps)")
@pytest.mark.skipif(can_use_checkout_agents() is not None, reason=str(can_use_checkout_agents()))
def test_pcs_examples_build_a_cib_that_passes_crm_verify(tmp_path):
    """Each pcs example runs against a CIB file, pcs checking every parameter name against this checkout's
    agents' meta-data."""
    cib = tmp_path / "cib.xml"
    cib.write_text(_run(["cibadmin", "--empty"]).stdout)
    commands = pcs_commands()
    assert len(commands) == 13 and all(argv[0] == "pcs" for argv in commands)
    for argv in [*commands, ["pcs", "property", "set", "stonith-enabled=false"]]:
        done = _run(with_checkout_agents(["pcs", "-f", str(cib), *argv[1:]]))
        assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    xml = cib.read_text()
    for rid in ("drbd-r0", "ms-drbd-r0", "ms-drbd-r1", "web1", "aoe-r1", "o2cb-clone", "fs-clone"):
        assert f'id="{rid}"' in xml, rid
    assert xml.count('name="OCF_CHECK_LEVEL" value="10"') == 2
    done = _run(["crm_verify", "-x", str(cib)])
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


# --- fence_noop(8) from its meta-data -------------------------------------------------------------------------------


def test_fence_noop_page_lists_its_metadata(outdir):
    from lxml import etree

    from xenha.fence.noop import render_metadata as fence_metadata

    doc = etree.fromstring(fence_metadata().encode())
    page = sections((outdir / "fence_noop.8").read_text())
    options = dict(tagged(page["PARAMETERS"]))
    stdin = dict(tagged(page["STDIN PARAMETERS"]))
    for param in doc.iterfind("parameters/parameter"):
        assert bold(param.get("name")) in stdin
        if param.get("deprecated") != "1":
            assert bold(param.find("getopt").get("mixed")) in options
        default = param.find("content").get("default")
        if default:
            assert f"(Default Value: {man.esc(default)})" in stdin[bold(param.get("name"))]
    actions = dict(tagged(page["ACTIONS"]))
    assert list(actions) == [bold(a.get("name")) for a in doc.iterfind("actions/action")]
    assert all(body.strip() for body in actions.values())
    assert "NOTHING WAS FENCED" in page["DESCRIPTION"]


# --- the hand-written pages follow the code ---------------------------------------------------------------------------


def _options(parser) -> tuple[set[str], set[str]]:
    """(long options, subcommands and positional choices) of an argparse parser, recursively."""
    import argparse

    options: set[str] = set()
    words: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                words.add(name)
                more_options, more_words = _options(sub)
                options |= more_options
                words |= more_words
        elif isinstance(action, argparse._HelpAction):
            continue
        elif action.option_strings:
            options |= {o for o in action.option_strings if o.startswith("--")}
        elif action.choices:
            words |= set(action.choices)
    return options, words


def in_bold(word: str, text: str) -> bool:
    """`word` appears as a word inside a bold span (`\\fB...\\fR`)."""
    escaped = re.escape(word.replace("-", "\\-"))
    return (
        re.search(r"\\fB(?:(?!\\fR).)*?(?:(?<=\\fB)|(?<![\w-]))" + escaped + r"(?![\w-])(?:(?!\\fR).)*\\fR", text)
        is not None
    )


@pytest.mark.parametrize(
    ("page", "module"),
    [
        ("xenha-bootguard.8", "xenha.tools.bootguard"),
        ("xenha-migrate.8", "xenha.hb1.ledger"),
        ("xenha.8", "xenha.tools.inspect"),
        ("xenha-lab.8", "xenha_sim.labcli"),
        ("xenha-sim.8", "xenha_sim.simcli"),
    ],
)
def test_tool_pages_name_every_option(outdir, page, module):
    options, words = _options(importlib.import_module(module)._parser())
    text = (outdir / page).read_text()
    missing = sorted(o for o in options if bold(o) not in text) + sorted(w for w in words if not in_bold(w, text))
    assert not missing, f"{page} does not describe {missing}"


def test_in_bold_finds_words_of_bold_spans_only():
    assert in_bold("drbd", "\\fBxenha inspect drbd\\fR")
    assert in_bold("move", "x \\fBmove\\fR y")
    assert not in_bold("drbd", "\\fBxenha\\fR inspect drbd")
    assert not in_bold("status", "\\fBlist\\-status\\fR")


def _read_keys(module: str) -> set[str]:
    """The settings a module reads from a defaults file: variables.get("KEY") and pick("KEY")."""
    source = Path(importlib.import_module(module).__file__).read_text()
    return set(re.findall(r'(?:variables\.get|pick)\("([A-Z_]+)"\)', source))


def test_xendomainsha_page_names_every_variable(outdir):
    keys = _read_keys("xenha.hb1.config")
    assert {"XENDOMAINS_AUTO", "XENDOMAINS_MIGRATE", "LOCKFILE"} <= keys
    text = (outdir / "xendomainsHA.8").read_text()
    missing = sorted(k for k in keys if bold(k) not in text)
    assert not missing, f"xendomainsHA.8 does not describe {missing}"


def test_bootguard_page_names_every_variable(outdir):
    keys = _read_keys("xenha.tools.bootguard")
    assert {"BOOTGUARD_AUTO", "BOOTGUARD_INTERVAL"} <= keys
    text = (outdir / "xenha-bootguard.8").read_text()
    missing = sorted(k for k in keys if bold(k) not in text)
    assert not missing, f"xenha-bootguard.8 does not describe {missing}"


def test_xenha_page_shows_what_convert_prints_for_its_example(outdir):
    page = sections((outdir / "xenha.8").read_text())["MOVING FROM HEARTBEAT V1"]
    text, check, properties = man.convert_example()
    assert "xenha-man-" not in text + page  # the temporary root is gone
    for line in text.splitlines():
        assert man.literal([line])[3] in page.splitlines(), line
    assert "primitive web1 ocf:xenha:XenDomainHA params config=/etc/xen/web1.cfg" in text
    assert "primitive db1 ocf:xenha:XenDomainHA params config=/etc/xen/db1.cfg" in text
    assert "clone ms-drbd-r0 " in text and "clone ms-drbd-r1 " in text and "drbdconf=" not in text
    assert any(line.startswith("decide: fencing:") for line in check)
    assert "stonith-enabled=true" in properties and "stonith-enabled=false" not in page
    assert man.esc(properties) in page


def test_bootguard_page_describes_the_unit_as_shipped(outdir):
    """What xenha-bootguard(8) says of xenha-bootguard.service is what the unit file says."""
    unit = REPO / "packaging/systemd/xenha-bootguard.service"
    if not unit.is_file():
        pytest.skip("no systemd unit in this tree")
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            settings.setdefault(key.strip(), []).extend(value.split())
    page = (outdir / "xenha-bootguard.8").read_text()
    for before in settings["Before"]:
        assert man.esc(before) in page, before
    for key in ("ExecStart", "ExecReload", "ExecStop"):
        assert in_bold(" ".join(settings[key]).rsplit("/", 1)[1], page), key
    assert man.esc("Type=" + settings["Type"][0]) in page
    assert man.esc("KillMode=" + settings["KillMode"][0]) in page
    assert man.esc(settings["EnvironmentFile"][0].lstrip("-")) in page
    assert man.esc("ConditionPathExists=" + settings["ConditionPathExists"][0]) in page


def test_pages_state_the_real_defaults(outdir):
    from xenha.hb1 import config, ledger
    from xenha.tools.bootguard import BootSettings

    hb1 = (outdir / "xendomainsHA.8").read_text()
    for value in (config.DEFAULT_STOP_MAXWAIT, config.DEFAULT_START_MAXWAIT, config.DEFAULT_DESTROY_MAXWAIT):
        assert f"{value} seconds" in hb1 or f"{value}s" in hb1
    assert man.esc(config.lock_path("/run/xenha", "xendomainsHA<N>")) in hb1
    assert f"1 to {config.MAX_SECONDS:g}" in hb1
    assert man.esc(ledger.DEFAULT_LEDGER) in (outdir / "xenha-migrate.8").read_text()
    guard = (outdir / "xenha-bootguard.8").read_text()
    assert man.esc(BootSettings().pidfile) in guard
    assert f"{BootSettings().interval:g}" in guard


# --- clean roff: no warning, a NAME lexgrog reads, cross references -----------------------------------------------


@pytest.mark.skipif(shutil.which("man") is None, reason="man-db not installed")
@pytest.mark.parametrize("name", PAGES)
def test_man_prints_no_warning(outdir, name):
    done = _run(
        ["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", str(outdir / name)],
        env=LINTIAN_ENV,
    )
    assert done.returncode == 0
    assert done.stderr == ""
    assert len(done.stdout) > 500


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff not installed")
@pytest.mark.parametrize("name", PAGES)
def test_groff_prints_no_warning(outdir, name):
    done = _run(["groff", "-ww", "-man", "-z", str(outdir / name)])
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("lexgrog") is None, reason="man-db not installed")
@pytest.mark.parametrize("name", PAGES)
def test_lexgrog_finds_the_name(outdir, name):
    done = _run(["lexgrog", str(outdir / name)])
    assert done.returncode == 0, done.stdout + done.stderr
    topic = name.rsplit(".", 1)[0]
    assert re.fullmatch(rf'{re.escape(str(outdir / name))}: "{re.escape(topic)} - \S.*"\n', done.stdout)


@pytest.mark.parametrize("name", PAGES)
def test_see_also_names_the_other_xenha_pages(outdir, name):
    see = sections((outdir / name).read_text())["SEE ALSO"]
    refs = re.findall(r"^\.BR (\S+) \((\d)\),?$", see, re.MULTILINE)
    assert refs and len(refs) == see.count("\n")
    assert ("xenha", "8") in refs or name == "xenha.8"
    for ref, section in refs:
        if ref.replace("\\-", "-").startswith(("ocf_xenha_", "xenha", "xendomainsHA", "fence_noop")):
            assert f"{ref.replace(chr(92) + '-', '-')}.{section}" in PAGES, ref


# --- escaping --------------------------------------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="`\u00ad")
    | st.sampled_from(".'\\-\n "),
    max_size=60,
)


@given(_TEXT)
def test_escaped_text_never_starts_a_request(text):
    for line in man.esc(text).split("\n"):
        assert not line.startswith((".", "'"))
        assert "-" not in line.replace("\\-", "")
        assert all(ord(c) < 127 for c in line)


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff not installed")
@settings(max_examples=25)
@given(_TEXT)
def test_escaped_text_renders_as_itself(text):
    body = man.esc(text) if text.strip() else "x"
    doc = f'.TH "T" "1"\n.SH NAME\nt \\- t\n.SH DESCRIPTION\n.nh\n.ad l\n{body}\n'
    done = _run(["groff", "-ww", "-man", "-Tutf8", "-P-cbou"], input=doc)
    assert done.stderr == ""
    shown = " ".join(done.stdout.split("DESCRIPTION", 1)[1].rsplit("T(1)", 1)[0].split())
    if text.strip():
        assert shown.replace(" ", "") == "".join(text.split()).replace("\u2010", "-")


def test_backquoted_code_is_bold():
    assert man.esc("run `xl list` now") == "run \\fBxl list\\fR now"
    assert man.esc("a ` b") == "a \\(ga b"

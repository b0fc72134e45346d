#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write xenha's man pages, in roff, into one directory: `build.py --outdir DIR`.

- ocf_xenha_<Agent>(7): from each agent's declaration (xenha.agents.*.AGENT, the object meta-data is rendered from),
  so a parameter or action added to an agent is in its page at the next build;
- fence_noop(8): from the meta-data fence_noop prints (the fence-agents document, parsed here);
- xenha(8), xenha-bootguard(8), xenha-migrate(8), xendomainsHA(8): hand-written roff, packaging/man/*.8.in, with
  placeholders between at signs filled from the code (the defaults the tools really use, the version, the date)
  and, in xenha(8), what `xenha convert` prints for an example heartbeat v1 node, run here;
- xenha-lab(8), xenha-sim(8) (the xenha-lab package): from their argparse parsers.

The library is imported from this checkout (../../lib), never from an installed copy. The date in `.TH` is
SOURCE_DATE_EPOCH's (reproducible builds: dpkg-buildpackage sets it from debian/changelog), else today's (UTC).
Exit 0 when every page was written, else 1 with one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "lib"))

from xenha import __version__  # noqa: E402
from xenha.ocf.decl import Action, Agent, Parameter  # noqa: E402

__all__ = [
    "ACTION_TEXT",
    "AGENT_MODULES",
    "CONVERT_INPUT",
    "EXAMPLES",
    "HAND_WRITTEN",
    "LAB_PAGES",
    "BuildError",
    "agents",
    "build",
    "cli_page",
    "convert_example",
    "crm_example",
    "esc",
    "fence_page",
    "literal",
    "man_date",
    "ocf_actions",
    "ocf_page",
    "op_words",
    "page_names",
    "pcs_example",
]

# The agents, by module under xenha.agents; each module's AGENT is the declaration.
AGENT_MODULES = ("xendomain", "drbddual", "aoeexport", "o2cb")
# The hand-written pages: packaging/man/<name>.in.
HAND_WRITTEN = ("xenha.8", "xenha-bootguard.8", "xenha-migrate.8", "xendomainsHA.8")
OCF_PROVIDER = "xenha"
OCF_DIR = "/usr/lib/ocf/resource.d/xenha"
MANUAL_OCF = "OCF resource agents"
MANUAL_ADMIN = "System Administration"
AUTHOR = "The xenha contributors."


class BuildError(Exception):
    """A page cannot be built; the message is the one line build.py prints."""


# --- roff ----------------------------------------------------------------------------------------------------------


def _esc_plain(text: str) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\e")
        elif char == "-":
            out.append("\\-")
        elif ord(char) > 126:
            out.append(f"\\[u{ord(char):04X}]")
        elif ord(char) < 32 and char not in "\n\t":
            raise BuildError(f"control character {ord(char):#x} in text {text[:40]!r}")
        else:
            out.append(char)
    return "".join(out)


def esc(text: str) -> str:
    """Running text as roff: backslashes, minus signs, non-ASCII escaped; `code` in bold; no line starts a request.

    Newlines stay (roff fills the lines); each line loses its leading and trailing blanks, since a leading blank
    would break the line.
    """
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backquote is a literal one
        body = "\\(ga".join(_esc_plain(p) for p in parts)
    else:
        body = "".join(_esc_plain(p) if i % 2 == 0 else f"\\fB{_esc_plain(p)}\\fR" for i, p in enumerate(parts))
    return "\n".join(_safe_line(line.strip()) for line in body.split("\n"))


def _safe_line(line: str) -> str:
    """A text line that roff cannot read as a request (leading `.` or `'`)."""
    return "\\&" + line if line.startswith((".", "'")) else line


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs of a description, each as roff text, preceded by `.PP`."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        if para.strip():
            out += [".PP", esc(para)]
    return out


def literal(lines: list[str]) -> list[str]:
    """An indented, unfilled block (examples): each line escaped, blanks kept."""
    out = [".PP", ".RS 4", ".nf"]
    for line in lines:
        body = _esc_plain(line)
        out.append("\\&" + body if body.startswith((".", "'", " ")) or not body else body)
    return [*out, ".fi", ".RE"]


def man_date(environ: dict[str, str] | os._Environ[str]) -> str:
    """The page date, YYYY-MM-DD: SOURCE_DATE_EPOCH (UTC) when set, else today (UTC)."""
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return time.strftime("%Y-%m-%d", time.gmtime())
    if not raw.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds")
    return time.strftime("%Y-%m-%d", time.gmtime(int(raw)))


def header(name: str, section: str, date: str, manual: str, *, comment: str) -> list[str]:
    return [
        f'.\\" {comment}',
        f'.\\" {name}({section}), xenha {__version__}',
        f'.TH "{name.upper()}" "{section}" "{date}" "xenha {__version__}" "{manual}"',
        ".nh",
        ".ad l",
    ]


def see_also(refs: list[tuple[str, str]]) -> list[str]:
    """`.BR name (section),` lines, comma-separated, the last without comma."""
    out = [".SH SEE ALSO"]
    for i, (name, section) in enumerate(refs):
        tail = "," if i < len(refs) - 1 else ""
        out.append(f".BR {_esc_plain(name)} ({section}){tail}")
    return out


# --- OCF resource agents -------------------------------------------------------------------------------------------

ACTION_TEXT = {
    "start": "Starts the resource.",
    "stop": "Stops the resource. Pacemaker fences a node whose stop failed.",
    "monitor": "Reports the resource's state. Pacemaker also runs it once with interval 0, as a probe, on every "
    "node before it starts the resource anywhere.",
    "promote": "Promotes the clone instance on this node (the Promoted role).",
    "demote": "Demotes the clone instance on this node (the Unpromoted role).",
    "notify": "Receives the clone's pre and post notifications; needs the clone meta attribute notify=true.",
    "migrate_to": "Live-migrates the resource from this node to the target node; needs the meta attribute "
    "allow-migrate=true.",
    "migrate_from": "Completes a live migration on the target node.",
    "reload": "Applies changed parameters without a stop and a start of the resource, for callers speaking "
    "OCF 1.0 (Pacemaker 2.0 and older).",
    "reload-agent": "Applies changed reloadable parameters without a stop and a start (OCF 1.1: Pacemaker 2.1 and "
    "later).",
    "validate-all": "Checks the parameters and this node's set-up without changing anything.",
    "meta-data": "Prints the agent's meta-data: OCF 1.1 XML when OCF_RA_VERSION_MINOR is 1 or more, else the "
    "ra-api-1.dtd document.",
}


def action_text(action: Action) -> str:
    """What the action does, then what this declaration of it advises (role, check level, timeout, interval)."""
    text = ACTION_TEXT.get(action.name, f"Runs the {action.name} action.")
    if action.role is not None:
        text += f" This one is the recurring monitor of an instance in the {action.role} role."
    if action.depth:
        text += (
            f" With the op attribute OCF_CHECK_LEVEL={action.depth} it also makes the deeper checks of that "
            "level (see DESCRIPTION)."
        )
    text += f" Suggested minimum timeout: {_sec(action.timeout)}."
    if action.interval:
        text += f" Suggested interval: {_sec(action.interval)}."
    return text


def ocf_actions(agent: Agent) -> list[Action]:
    """The actions the agent's OCF 1.1 meta-data lists: the declared ones, plus reload-agent after reload when the
    agent has reloadable parameters (xenha.ocf.metadata.render_metadata's rule; the tests compare the two)."""
    declared = list(agent.actions)
    names = {a.name for a in declared}
    if any(p.reloadable for p in agent.parameters) and "reload" in names and "reload-agent" not in names:
        reload = next(a for a in declared if a.name == "reload")
        declared.insert(declared.index(reload) + 1, Action("reload-agent", reload.timeout))
    return declared


@dataclass(frozen=True)
class Example:
    """How one agent is configured in the examples: a primitive, maybe cloned, and constraints."""

    rsc: str
    params: tuple[tuple[str, str], ...]
    meta: tuple[tuple[str, str], ...] = ()
    clone: str | None = None  # the clone's id
    clone_meta: tuple[tuple[str, str], ...] = ()
    promotable: bool = False
    crm_extra: tuple[str, ...] = ()
    pcs_extra: tuple[str, ...] = ()
    note: str = ""


_PROMOTABLE_META = (
    ("promoted-max", "2"),
    ("promoted-node-max", "1"),
    ("clone-max", "2"),
    ("clone-node-max", "1"),
    ("notify", "true"),
    ("interleave", "true"),
)

EXAMPLES: dict[str, Example] = {
    "XenDomainHA": Example(
        rsc="web1",
        params=(("config", "/etc/xen/web1.cfg"), ("migration_address", "ha1=ha1X ha2=ha2X")),
        meta=(("allow-migrate", "true"), ("priority", "2")),
        crm_extra=(
            "colocation web1-with-drbd inf: web1 ms-drbd-r0:Promoted",
            "order web1-after-drbd Mandatory: ms-drbd-r0:promote web1:start",
        ),
        pcs_extra=(
            "pcs constraint colocation add web1 with Promoted ms-drbd-r0 INFINITY",
            "pcs constraint order promote ms-drbd-r0 then start web1",
        ),
        note="The guest web1 lives on the DRBD resource r0, managed by the promotable clone ms-drbd-r0 of "
        "ocf_xenha_DrbdDualPrimary(7); migration goes over the network whose host names end in X.",
    ),
    "DrbdDualPrimary": Example(
        rsc="drbd-r0",
        params=(("drbd_resource", "r0"),),
        clone="ms-drbd-r0",
        clone_meta=(("promotable", "true"), *_PROMOTABLE_META),
        promotable=True,
        note="promoted-max=2 (both nodes Primary, for live migration) needs allow-two-primaries in the "
        "resource's net section of the DRBD configuration; use promoted-max=1 otherwise.",
    ),
    "AoEExport": Example(
        rsc="aoe-r1",
        params=(("device", "/dev/drbd/by-res/r1/0"), ("shelf", "1"), ("slot", "0"), ("nic", "eth1")),
        crm_extra=(
            "colocation aoe-r1-with-drbd inf: aoe-r1 ms-drbd-r1:Promoted",
            "order aoe-r1-after-drbd Mandatory: ms-drbd-r1:promote aoe-r1:start",
        ),
        pcs_extra=(
            "pcs constraint colocation add aoe-r1 with Promoted ms-drbd-r1 INFINITY",
            "pcs constraint order promote ms-drbd-r1 then start aoe-r1",
        ),
        note="The exported device is the DRBD resource r1, managed by the promotable clone ms-drbd-r1 of "
        "ocf_xenha_DrbdDualPrimary(7) with promoted-max=1: vblade runs where r1 is Primary.",
    ),
    "O2cbCluster": Example(
        rsc="o2cb",
        params=(("cluster", "web"),),
        clone="o2cb-clone",
        clone_meta=(("interleave", "true"),),
        crm_extra=(
            "primitive fs ocf:heartbeat:Filesystem \\",
            "    params device=/dev/drbd/by-res/r2/0 directory=/srv/xen fstype=ocfs2 \\",
            "    op monitor interval=20s timeout=40s",
            "clone fs-clone fs meta interleave=true",
            "order fs-after-o2cb Mandatory: o2cb-clone fs-clone",
            "colocation fs-with-o2cb inf: fs-clone o2cb-clone",
        ),
        pcs_extra=(
            "pcs resource create fs ocf:heartbeat:Filesystem \\",
            "    device=/dev/drbd/by-res/r2/0 directory=/srv/xen fstype=ocfs2 \\",
            "    op monitor interval=20s timeout=40s clone fs-clone interleave=true",
            "pcs constraint order o2cb-clone then fs-clone",
            "pcs constraint colocation add fs-clone with o2cb-clone INFINITY",
        ),
        note="fs-clone mounts the OCFS2 volume on the DRBD resource r2 (dual-primary, see "
        "ocf_xenha_DrbdDualPrimary(7)) on every node, once the O2CB stack is up.",
    ),
}


def _sec(value: int) -> str:
    return f"{value}s"


def op_words(action: Action) -> list[str]:
    """One operation as crmsh and pcs both write it: name, interval (recurring only), role, timeout, depth."""
    words = [action.name]
    if action.interval:
        words.append(f"interval={_sec(action.interval)}")
    if action.role is not None:
        words.append(f"role={action.role}")
    words.append(f"timeout={_sec(action.timeout)}")
    if action.depth:
        words.append(f"OCF_CHECK_LEVEL={action.depth}")
    return words


def _quoted(value: str) -> str:
    return value if value and re.fullmatch(r"[A-Za-z0-9_./:,+@%-]+", value) else f'"{value}"'


def _pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{k}={_quoted(v)}" for k, v in pairs)


def example_ops(agent: Agent) -> list[Action]:
    """The operations an example configures: every monitor, then the other actions Pacemaker times."""
    timed = ("start", "stop", "promote", "demote", "notify", "migrate_to", "migrate_from")
    monitors = [a for a in agent.actions if a.name == "monitor"]
    return monitors + [a for a in agent.actions if a.name in timed]


def _wrap(text: str, width: int = 76) -> list[str]:
    """`text` as indented lines of at most `width` characters, continued with a backslash."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return [f"    {line}" + (" \\" if i < len(lines) - 1 else "") for i, line in enumerate(lines)]


def crm_example(agent: Agent, ex: Example) -> list[str]:
    """The crm shell form: the primitive with params, meta and ops (one per line), its clone, the constraints."""
    lines = [f"primitive {ex.rsc} ocf:{OCF_PROVIDER}:{agent.name} \\", f"    params {_pairs(ex.params)} \\"]
    if ex.meta:
        lines.append(f"    meta {_pairs(ex.meta)} \\")
    ops = example_ops(agent)
    lines += [f"    op {' '.join(op_words(op))}" + (" \\" if i < len(ops) - 1 else "") for i, op in enumerate(ops)]
    if ex.clone is not None:
        lines.append(f"clone {ex.clone} {ex.rsc} \\")
        lines += _wrap(f"meta {_pairs(ex.clone_meta)}")
    return [*lines, *ex.crm_extra]


def pcs_example(agent: Agent, ex: Example) -> list[str]:
    """The pcs form: `pcs resource create` with params, ops, meta and the clone, then the constraints."""
    lines = [f"pcs resource create {ex.rsc} ocf:{OCF_PROVIDER}:{agent.name} \\", f"    {_pairs(ex.params)} \\"]
    lines += [f"    {'op' if i == 0 else '  '} {' '.join(op_words(op))} \\" for i, op in enumerate(example_ops(agent))]
    if ex.meta:
        lines.append(f"    meta {_pairs(ex.meta)} \\")
    if ex.clone is not None:
        kind = "promotable" if ex.promotable else "clone"
        lines += _wrap(f"{kind} {ex.clone} {_pairs(tuple(p for p in ex.clone_meta if p[0] != 'promotable'))}")
    else:
        lines[-1] = lines[-1].removesuffix(" \\")
    return [*lines, *ex.pcs_extra]


def _param_facts(param: Parameter) -> str:
    """(required|optional, unique, reloadable, type, default), as the parameter is declared."""
    facts = ["required" if param.required else "optional"]
    if param.unique:
        facts.append("unique")
    if param.reloadable:
        facts.append("reloadable")
    facts.append(param.type)
    if param.default is None:
        facts.append("no default")
    elif param.default == "":
        facts.append('default ""')
    else:
        facts.append(f'default "{param.default}"')
    return "(" + ", ".join(facts) + ")"


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if first.islower() and first != "xenha":  # "domain name" -> "Domain name."; "domU ..." keeps its case
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _action_tag(action: Action) -> str:
    extra = []
    if action.role is not None:
        extra.append(f"role {action.role}")
    if action.depth:
        extra.append(f"OCF_CHECK_LEVEL={action.depth}")
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"\\fB{_esc_plain(action.name)}\\fR{_esc_plain(tail)}"


_SEE_ALSO_OCF: dict[str, list[tuple[str, str]]] = {
    "XenDomainHA": [("xl", "1"), ("xl.cfg", "5"), ("ocf_heartbeat_Xen", "7")],
    "DrbdDualPrimary": [("drbdadm", "8"), ("drbd.conf", "5"), ("ocf_linbit_drbd", "7")],
    "AoEExport": [("vblade", "8"), ("ocf_heartbeat_AoEtarget", "7")],
    "O2cbCluster": [("o2cb", "8"), ("mkfs.ocfs2", "8"), ("ocf_pacemaker_o2cb", "7")],
}


def ocf_page(agent: Agent, date: str, agent_names: list[str]) -> str:
    """ocf_xenha_<Agent>(7) from the declaration."""
    name = f"ocf_{OCF_PROVIDER}_{agent.name}"
    actions = ocf_actions(agent)
    unique_names = list(dict.fromkeys(a.name for a in actions))
    out = header(name, "7", date, MANUAL_OCF, comment=f"Generated by packaging/man/build.py from {agent.name}'s "
                 "declaration; do not edit.")  # fmt: skip
    out += [".SH NAME", f"{name} \\- {esc(agent.shortdesc)}"]
    out += [".SH SYNOPSIS", ".PP"]
    out.append(f"\\fB{agent.name}\\fR [" + " | ".join(_esc_plain(n) for n in unique_names) + "]")
    out += [
        ".PP",
        f"Pacemaker runs it as \\fB{_esc_plain(OCF_DIR)}/{agent.name}\\fR \\fIACTION\\fR, with the parameters in "
        "OCF_RESKEY_\\fIname\\fR environment variables; configure it as resource type "
        f"\\fBocf:{OCF_PROVIDER}:{agent.name}\\fR.",
    ]
    out += [".SH DESCRIPTION", *paragraphs(agent.longdesc)]
    out += [".SH SUPPORTED PARAMETERS"]
    for param in agent.parameters:
        out += [".TP", f"\\fB{_esc_plain(param.name)}\\fR", esc(_sentence(param.shortdesc))]
        out += [".IP", esc(param.longdesc.strip()), ".IP", esc(_param_facts(param))]
    out += [".SH SUPPORTED ACTIONS", ".PP", "This resource agent supports the following actions (operations):"]
    for action in actions:
        out += [".TP", _action_tag(action), esc(action_text(action))]
    ex = EXAMPLES.get(agent.name)
    if ex is not None:
        out += [".SH EXAMPLE CRM SHELL", ".PP", "The following is an example configuration for this resource agent "
                "using the \\fBcrm\\fR(8) shell:"]  # fmt: skip
        out += literal(crm_example(agent, ex))
        if ex.note:
            out += [".PP", esc(ex.note)]
        out += [".SH EXAMPLE PCS", ".PP", "The following is an example configuration for this resource agent using "
                "\\fBpcs\\fR(8):"]  # fmt: skip
        out += literal(pcs_example(agent, ex))
    refs = [(f"ocf_{OCF_PROVIDER}_{other}", "7") for other in agent_names if other != agent.name]
    out += see_also([*refs, *_SEE_ALSO_OCF.get(agent.name, []), ("xenha", "8"), ("crm", "8"), ("pcs", "8")])
    out += [".SH AUTHOR", ".PP", esc(AUTHOR)]
    return "\n".join(out) + "\n"


# --- fence_noop ----------------------------------------------------------------------------------------------------

FENCE_ACTION_TEXT = {
    "on": "Power on machine: records the request; the plug's recorded state becomes ON.",
    "off": "Power off machine: records the request (in the lab, powers the lab node off first); the plug's "
    "recorded state becomes OFF.",
    "reboot": "Reboot machine: records the request (in the lab, powers the lab node off first).",
    "status": "Prints the plug's recorded state; exit 0 for ON, 2 for OFF.",
    "monitor": "Check the health of fence device: always succeeds (there is no device).",
    "list": "List the hosts parameter, one host,host line each.",
    "list-status": "List the hosts parameter with each one's recorded state (ON or OFF).",
    "metadata": "Display the XML metadata describing this resource.",
    "manpage": "Display the XML metadata (as metadata).",
    "validate-all": "Validate if all required parameters are entered (and the plug is one of the hosts).",
}


def _fence_params(root: ET.Element) -> list[ET.Element]:
    params = root.find("parameters")
    if params is None:
        raise BuildError("fence_noop meta-data: no <parameters>")
    return list(params.findall("parameter"))


def fence_page(metadata: str, date: str) -> str:
    """fence_noop(8) from its meta-data document, in the layout of the fence-agents' pages."""
    try:
        root = ET.fromstring(metadata)
    except ET.ParseError as exc:
        raise BuildError(f"fence_noop meta-data is not XML: {exc}") from None
    name = root.get("name") or ""
    shortdesc = root.get("shortdesc") or ""
    longdesc = (root.findtext("longdesc") or "").strip()
    if name != "fence_noop" or not shortdesc or not longdesc:
        raise BuildError("fence_noop meta-data: no name, shortdesc or longdesc")
    out = header(name, "8", date, MANUAL_ADMIN, comment="Generated by packaging/man/build.py from fence_noop's "
                 "meta-data; do not edit.")  # fmt: skip
    out += [".SH NAME", f"{name} \\- {esc(shortdesc)}"]
    out += [".SH SYNOPSIS", ".PP", f"\\fB{name}\\fR [\\fIOPTION\\fR]...", ".br", f"\\fB{name}\\fR < \\fIstdin\\fR"]
    out += [".SH DESCRIPTION", *paragraphs(longdesc)]
    out += [
        ".PP",
        f"{name} accepts options on the command line as well as from stdin (\\fIname\\fR=\\fIvalue\\fR lines). "
        "pacemaker\\-fenced sends parameters through stdin when it executes the agent; with options on the "
        "command line it can be run by hand, for testing.",
        ".PP",
        "It is configured as a stonith resource of type \\fBstonith:fence_noop\\fR. Never use it on a cluster "
        "whose nodes share writable storage: it fences nothing.",
    ]
    params = _fence_params(root)
    out += [".SH PARAMETERS"]
    for param in params:
        if param.get("deprecated") == "1":
            continue
        getopt = param.find("getopt")
        mixed = getopt.get("mixed") if getopt is not None else None
        shown = mixed or param.get("name") or ""
        out += [".TP", f"\\fB{_esc_plain(shown)}\\fR", esc(_fence_param_text(param))]
    out += [".SH ACTIONS"]
    for action in root.iterfind("actions/action"):
        action_name = action.get("name", "")
        out += [".TP", f"\\fB{_esc_plain(action_name)}\\fR", esc(FENCE_ACTION_TEXT.get(action_name, ""))]
    out += [".SH STDIN PARAMETERS"]
    for param in params:
        text = _fence_param_text(param)
        if param.get("obsoletes"):
            text += f" Obsoletes: {param.get('obsoletes')}"
        if param.get("deprecated") == "1":
            text += " (deprecated)"
        out += [".TP", f"\\fB{_esc_plain(param.get('name', ''))}\\fR", esc(text)]
    out += [
        ".SH EXIT STATUS",
        ".TP",
        "\\fB0\\fR",
        "Success; for status: the plug is ON.",
        ".TP",
        "\\fB1\\fR",
        "Failure: bad options, a plug that is not one of the hosts, or (lab) processes that outlived SIGKILL.",
        ".TP",
        "\\fB2\\fR",
        "status: the plug is OFF.",
    ]
    defaults = {}
    for param in params:
        content = param.find("content")
        defaults[param.get("name")] = content.get("default") if content is not None else None
    files = [
        (defaults.get("log_file"), "Every fencing request, appended (the log_file parameter)."),
        (defaults.get("state_dir"), "The recorded power state of each plug (the state_dir parameter)."),
    ]
    out += [".SH FILES"]
    for path, what in files:
        if path:
            out += [".TP", f"\\fI{_esc_plain(path)}\\fR", esc(what)]
    out += [
        ".SH EXAMPLE",
        *literal(
            [
                "crm configure primitive fence-lab stonith:fence_noop \\",
                '    params hosts="ha1 ha2" pcmk_host_list="ha1 ha2"',
                'pcs stonith create fence-lab fence_noop hosts="ha1 ha2" pcmk_host_list="ha1 ha2"',
                "fence_noop -o status -n ha2; echo $?",
            ]
        ),
    ]
    out += see_also([("fence_dummy", "8"), ("stonith_admin", "8"), ("pacemaker-fenced", "7"), ("xenha", "8")])
    out += [".SH AUTHOR", ".PP", esc(AUTHOR)]
    return "\n".join(out) + "\n"


def _fence_param_text(param: ET.Element) -> str:
    text = _sentence((param.findtext("shortdesc") or "").strip())
    content = param.find("content")
    default = content.get("default") if content is not None else None
    if default:
        text += f" (Default Value: {default})"
    if param.get("required") == "1":
        text += " (required)"
    return text


# --- xenha-lab(8), xenha-sim(8): from their argparse parsers ----------------------------------------------------


@dataclass(frozen=True)
class CliPage:
    """A command of the xenha-lab package: its parser's module, what it is, and the parts a parser cannot say."""

    name: str
    module: str
    whatis: str
    description: str
    environment: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str], ...]
    see_also: tuple[tuple[str, str], ...]


LAB_PAGES = (
    CliPage(
        name="xenha-lab",
        module="xenha_sim.labcli",
        whatis="build, drive and tear down lab Pacemaker clusters of simulated Xen dom0s",
        description="""\
xenha-lab runs real Pacemaker and Corosync clusters of 2 to 5 nodes on one machine, over the simulated Xen, DRBD
and OCFS2 tools of xenha-sim(8), to test xenha's agents (and the peers ocf:heartbeat:Xen and ocf:linbit:drbd)
where Xen cannot run. It is for test machines only: it needs root, and never belongs on a real dom0.

Each node runs `corosync -f` and `pacemakerd` in its own network, mount, UTS and IPC namespaces, with private
/run, /dev/shm, /etc/corosync, /etc/hosts, /var/lib/pacemaker and /var/log; a bridge in a namespace of its own
joins them on a /24 that exists only there. The simulated tools are bind-mounted over the real names inside the
nodes only. Fencing goes through fence_noop(8) with its sim_world parameter, which powers the lab node off for
real.""",
        environment=(("XENHA_LAB_DIR", "The lab directory, when --dir is not given. Default: /var/lib/xenha-lab."),),
        files=(("/var/lib/xenha-lab", "The lab directory: the nodes' files, logs and the simulated world."),),
        see_also=(
            ("xenha-sim", "8"),
            ("fence_noop", "8"),
            ("xenha", "8"),
            ("ocf_xenha_XenDomainHA", "7"),
            ("crm_mon", "8"),
        ),
    ),
    CliPage(
        name="xenha-sim",
        module="xenha_sim.simcli",
        whatis="create, inspect and break the simulated Xen and DRBD world of the xenha lab",
        description="""\
Xen, the DRBD kernel module and OCFS2 cannot run on a build machine, so simulated `xl`, `xm`, `drbdadm`,
`drbdsetup` and `o2cb` stand in under their real names (installed in /usr/lib/xenha-sim/bin, never on the host's
PATH) and print what the real tools print. They share one world: its nodes (dom0s), guests, DRBD resources and
links. xenha-sim creates that world, shows it, and injects faults into it; each simulated tool knows its node by
XENHA_SIM_NODE.

It is for test machines only; xenha-lab(8) builds clusters on it.""",
        environment=(
            ("XENHA_SIM_WORLD", "The world directory, when --world is not given. Default: /var/lib/xenha-sim."),
            ("XENHA_SIM_NODE", "The node a simulated tool (xl, drbdadm, ...) runs on."),
        ),
        files=(
            ("/var/lib/xenha-sim", "The world directory (state.json and the event log)."),
            ("/usr/lib/xenha-sim/bin", "The simulated xl, xm, drbdadm, drbdsetup and o2cb."),
        ),
        see_also=(("xenha-lab", "8"), ("fence_noop", "8"), ("xenha", "8")),
    ),
)


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None and not action.option_strings:
        return "|".join(str(c) for c in action.choices)
    return action.dest.upper() if action.option_strings else action.dest


def _usage_words(action: argparse.Action) -> str:
    """One argument as roff for a synopsis: options bold, values and positionals italic, optional in brackets."""
    if isinstance(action, argparse._HelpAction):  # noqa: SLF001 -- argparse has no public action types
        return ""
    if action.option_strings:
        longs = [o for o in action.option_strings if o.startswith("--")] or [max(action.option_strings, key=len)]
        flag = "|".join(f"\\fB{_esc_plain(o)}\\fR" for o in longs)  # --x|--no-x for a BooleanOptionalAction
        if action.nargs == 0:
            word = flag
        elif action.choices is not None:
            word = f"{flag} " + "|".join(f"\\fB{_esc_plain(str(c))}\\fR" for c in action.choices)
        else:
            word = f"{flag} \\fI{_esc_plain(_metavar(action))}\\fR"
        return word if action.required else f"[{word}]"
    if action.choices is not None:
        return "|".join(f"\\fB{_esc_plain(str(c))}\\fR" for c in action.choices)
    word = f"\\fI{_esc_plain(_metavar(action))}\\fR"
    if action.nargs == argparse.REMAINDER:
        return f"[\\fB\\-\\-\\fR {word}...]"
    if action.nargs in ("*", "+"):
        return f"{word}..." if action.nargs == "+" else f"[{word}...]"
    return word


def _help(action: argparse.Action) -> str:
    """The option's help as a sentence, with its default when the help does not give it ("" when neither)."""
    text = _sentence((action.help or "").replace("%(prog)s", "").replace("%(default)s", str(action.default)))
    has_default = action.option_strings and action.nargs != 0 and action.default not in (None, False, [], "")
    if has_default and "default" not in text.lower():
        text = f"{text} Default: {action.default}.".strip()
    return text


def cli_page(page: CliPage, date: str) -> str:
    """A lab command's page: synopsis, options and commands read from its argparse parser."""
    parser = importlib.import_module(page.module)._parser()  # noqa: SLF001 -- the parser the command runs
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001
    options = [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]  # noqa: SLF001
    out = header(page.name, "8", date, MANUAL_ADMIN, comment=f"Generated by packaging/man/build.py from "
                 f"{page.module}'s parser; do not edit.")  # fmt: skip
    out += [".SH NAME", f"{_esc_plain(page.name)} \\- {esc(page.whatis)}", ".SH SYNOPSIS", ".PP"]
    out.append(f"\\fB{_esc_plain(page.name)}\\fR " + " ".join(w for w in map(_usage_words, options) if w)
               + " \\fICOMMAND\\fR [\\fIARGUMENTS\\fR]")  # fmt: skip
    out += [".SH DESCRIPTION", *paragraphs(page.description)]
    out += [".SH OPTIONS"]
    for action in options:
        out += [".TP", _usage_words(action).strip("[]"), esc(_help(action))]
    out += [".SH COMMANDS"]
    for sub in subparsers:
        helps = {choice.dest: choice.help for choice in sub._choices_actions}  # noqa: SLF001
        for name, child in sub.choices.items():
            words = " ".join(w for w in map(_usage_words, child._actions) if w)  # noqa: SLF001
            out += [".TP", f"\\fB{_esc_plain(name)}\\fR {words}".rstrip(), esc(_sentence(helps.get(name) or ""))]
            if child.description:
                out += [".IP", esc(child.description)]
            for action in child._actions:  # noqa: SLF001
                if action.option_strings and _help(action) and not isinstance(action, argparse._HelpAction):  # noqa: SLF001
                    out += [".IP", f"{_usage_words(action).strip('[]')}: {esc(_help(action))}"]
            if child.epilog:
                out += [".IP", esc(_sentence(child.epilog))]
    out += [".SH ENVIRONMENT"]
    for var, text in page.environment:
        out += [".TP", f"\\fB{_esc_plain(var)}\\fR", esc(text)]
    out += [".SH FILES"]
    for path, text in page.files:
        out += [".TP", f"\\fI{_esc_plain(path)}\\fR", esc(text)]
    out += see_also(list(page.see_also))
    out += [".SH AUTHOR", ".PP", esc(AUTHOR)]
    return "\n".join(out) + "\n"


# --- hand-written pages --------------------------------------------------------------------------------------------


def _values() -> dict[str, str]:
    """The @NAME@ placeholders of the hand-written pages, from the code they describe."""
    from xenha.hb1 import config as hb1
    from xenha.hb1 import ledger
    from xenha.tools import bootguard

    guard = bootguard.BootSettings()
    # The lock file a group gets by default, for a group named by a token no path contains otherwise.
    token = "GROUPTOKEN"
    group = hb1.group_config(token, hb1.ShellVars((hb1.Assignment("XENDOMAINS_AUTO", "/etc/xen/auto/HA1"),)))
    if token not in group.lockfile:
        raise BuildError(f"the default LOCKFILE {group.lockfile} does not name its group")
    values = {
        "HB1_LOCKFILE": group.lockfile.replace(token, "<N>"),
        "HB1_LOCKDIR": os.path.dirname(group.lockfile),
        "MAX_SECONDS": f"{hb1.MAX_SECONDS:g}",
        "STOP_MAXWAIT": str(hb1.DEFAULT_STOP_MAXWAIT),
        "START_MAXWAIT": str(hb1.DEFAULT_START_MAXWAIT),
        "DESTROY_MAXWAIT": str(hb1.DEFAULT_DESTROY_MAXWAIT),
        "LEDGER": ledger.DEFAULT_LEDGER,
        "MIGRATE_REMOTE": ledger._DEFAULT_REMOTE,  # noqa: SLF001 -- the page states the real default
        "BOOTGUARD_AUTO": " ".join(guard.auto_dirs),
        "BOOTGUARD_INTERVAL": f"{guard.interval:g}",
        "BOOTGUARD_JITTER": f"{guard.jitter:g}",
        "BOOTGUARD_PIDFILE": guard.pidfile,
        "BOOTGUARD_START_MAXWAIT": f"{guard.start_maxwait:g}",
    }
    from xenha.tools import convert

    text, check, properties = convert_example()
    return {
        **values,
        "CONVERT_HOME_SCORE": str(convert.HOME_SCORE),
        "CONVERT_STAY_STICKINESS": str(convert.STAY_STICKINESS),
        "CONVERT_MIGRATION_THRESHOLD": str(convert.MIGRATION_THRESHOLD),
        "CONVERT_PROPERTIES": properties,
        "ROFF_CONVERT_EXAMPLE": _convert_example_roff(text, check),
    }


# The heartbeat v1 node that xenha(8)'s conversion example converts: the guides' pattern, two groups migrating
# live to each other over the ha1X/ha2X network, one guest each, on dual-primary DRBD with DRBD's own fencing.
CONVERT_INPUT = {
    "etc/ha.d/haresources": "ha1 xendomainsHA1\nha2 xendomainsHA2\n",
    "etc/ha.d/ha.cf": "ucast eth1 10.0.0.2\nauto_failback on\nnode ha1\nnode ha2\n",
    "etc/default/xendomainsHA1": 'XENDOMAINS_AUTO=/etc/xen/auto/HA1\nXENDOMAINS_MIGRATE="ha2X --live"\n',
    "etc/default/xendomainsHA2": 'XENDOMAINS_AUTO=/etc/xen/auto/HA2\nXENDOMAINS_MIGRATE="ha1X --live"\n',
    "etc/xen/web1.cfg": "name = 'web1'\nmemory = 1024\ndisk = ['drbd:r0,xvda,w']\n",
    "etc/xen/db1.cfg": "name = 'db1'\nmemory = 2048\ndisk = ['phy:/dev/drbd1,xvda,w']\n",
    "etc/drbd.conf": """\
common {
  net { protocol C; allow-two-primaries; }
  disk { fencing resource-and-stonith; }
  handlers { fence-peer "/usr/lib/drbd/crm-fence-peer.9.sh";
             after-resync-target "/usr/lib/drbd/crm-unfence-peer.9.sh"; }
}
resource r0 { device /dev/drbd0; disk /dev/vg0/r0; meta-disk internal;
  on ha1 { address 10.0.0.1:7788; } on ha2 { address 10.0.0.2:7788; } }
resource r1 { device /dev/drbd1; disk /dev/vg0/r1; meta-disk internal;
  on ha1 { address 10.0.0.1:7789; } on ha2 { address 10.0.0.2:7789; } }
""",
}
CONVERT_LINKS = {"etc/xen/auto/HA1/web1.cfg": "etc/xen/web1.cfg", "etc/xen/auto/HA2/db1.cfg": "etc/xen/db1.cfg"}


def convert_example() -> tuple[str, list[str], str]:
    """What `xenha convert` prints for CONVERT_INPUT on ha1: (the crm shell text, the --check lines, the cluster
    properties it sets).

    The files are written under a temporary root, read by xenha.tools.convert itself, and the root is taken out
    of the output again; drbdconf= is left out as it is for the default /etc/drbd.conf.
    """
    import tempfile

    from xenha.tools import convert

    with tempfile.TemporaryDirectory(prefix="xenha-man-") as tmp:
        root = Path(tmp)
        for rel, text in CONVERT_INPUT.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text.replace("/etc/", f"{root}/etc/"), encoding="utf-8")
        for rel, target in CONVERT_LINKS.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).symlink_to(root / target)
        try:
            setup = convert.read_setup(
                str(root / "etc/ha.d"), str(root / "etc/default"), str(root / "etc/drbd.conf"), local_node="ha1"
            )
            model = convert.build_model(setup)
            text = convert.render_crm(model)
        except Exception as exc:  # noqa: BLE001 -- one line for the build log
            raise BuildError(f"xenha convert failed on the example: {getattr(exc, 'reason', exc)}") from None
        lines = convert.check_lines(model)

    def unroot(value: str) -> str:
        return value.replace(str(root), "").replace(" drbdconf=/etc/drbd.conf", "")

    properties = " ".join(f"{k}={v}" for k, v in model.properties)
    return unroot(text), [unroot(line) for line in lines], properties


def _convert_example_roff(text: str, check: list[str]) -> str:
    """The example of xenha(8)'s MOVING FROM HEARTBEAT V1: the files, then the --check lines and the output."""
    out: list[str] = [".PP", "A node \\fBha1\\fR with these files:"]
    for rel, content in CONVERT_INPUT.items():
        out += [".PP", f"\\fI/{_esc_plain(rel)}\\fR:", *literal(content.rstrip("\n").split("\n"))]
    links = ", ".join(f"\\fI/{_esc_plain(rel)}\\fR \\(-> \\fI/{_esc_plain(t)}\\fR" for rel, t in CONVERT_LINKS.items())
    out += [".PP", f"and the links {links}.", ".PP", "\\fBxenha convert \\-\\-check\\fR prints, and exits 1:"]
    out += [".RS 4"]
    for line in check:  # one line each on a terminal; filled here, as they are long
        out += [".PP", esc(line)]
    out += [".RE"]
    out += [".PP", "\\fBxenha convert\\fR prints:", *literal(text.rstrip("\n").split("\n"))]
    return "\n".join(out)


_PLACEHOLDER = re.compile(r"@([A-Z0-9_]+)@")


def hand_page(name: str, date: str, values: dict[str, str]) -> str:
    """packaging/man/<name>.in with its placeholders filled; BuildError for an unknown one."""
    source = HERE / f"{name}.in"
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise BuildError(f"{source}: {exc.strerror}") from None
    filled = {
        "VERSION": __version__,
        "DATE": date,
        **{k: v if k.startswith("ROFF_") else _esc_plain(v) for k, v in values.items()},  # ROFF_: roff already
    }

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in filled:
            raise BuildError(f"{source.name}: unknown placeholder @{key}@")
        return filled[key]

    return _PLACEHOLDER.sub(fill, text)


# --- the build -----------------------------------------------------------------------------------------------------


@dataclass
class Built:
    """Pages by file name."""

    pages: dict[str, str] = field(default_factory=dict)


def agents() -> list[Agent]:
    return [importlib.import_module(f"xenha.agents.{m}").AGENT for m in AGENT_MODULES]


def page_names() -> list[str]:
    """Every page build() writes, by file name."""
    ocf = [f"ocf_{OCF_PROVIDER}_{a.name}.7" for a in agents()]
    return [*ocf, "fence_noop.8", *HAND_WRITTEN, *(f"{p.name}.8" for p in LAB_PAGES)]


def build(date: str) -> Built:
    from xenha.fence.noop import render_metadata

    built = Built()
    declared = agents()
    names = [a.name for a in declared]
    for agent in declared:
        built.pages[f"ocf_{OCF_PROVIDER}_{agent.name}.7"] = ocf_page(agent, date, names)
    built.pages["fence_noop.8"] = fence_page(render_metadata(), date)
    values = _values()
    for name in HAND_WRITTEN:
        built.pages[name] = hand_page(name, date, values)
    for page in LAB_PAGES:
        built.pages[f"{page.name}.8"] = cli_page(page, date)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="write xenha's man pages into a directory")
    parser.add_argument("--outdir", required=True, help="directory to write the pages into (created if missing)")
    args = parser.parse_args(argv)
    try:
        built = build(man_date(os.environ))
        outdir = Path(args.outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        for name, text in built.pages.items():
            tmp = outdir / f".{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(outdir / name)
    except BuildError as exc:
        sys.stderr.write(f"build.py: {exc}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"build.py: {exc.filename or args.outdir}: {exc.strerror}\n")
        return 1
    except Exception as exc:  # noqa: BLE001 -- a build step reports one line, never a traceback
        sys.stderr.write(f"build.py: {type(exc).__name__}: {exc}\n"[:200])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

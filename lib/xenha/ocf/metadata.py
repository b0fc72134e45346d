# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Render an agent's declaration as OCF meta-data XML: OCF 1.1 for callers that speak it, ra-api-1.dtd for the rest.

Pacemaker (2.1 and later) runs every OCF action, meta-data included, with OCF_RA_VERSION_MAJOR=1 and
OCF_RA_VERSION_MINOR=1 (services_ocf.c, PCMK_OCF_MINOR_VERSION) and reads `<version>` to decide how to reload:
for an OCF 1.1 agent it records a restart digest only over the parameters marked `reloadable="1"` and calls
`reload-agent` when only those change (controld_metadata.c). ra-api-1.dtd, which ocf-tester validates against,
knows neither, and older callers (Pacemaker 2.0, heartbeat, ocf-tester) set MINOR=0 or nothing: they get the
OCF 1.0 document, with the DOCTYPE and the old `reload` action. Both documents describe the same agent.
"""

from __future__ import annotations

from xenha.ocf.decl import Action

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from xenha.ocf.decl import Agent

__all__ = ["OCF_VERSION", "caller_speaks_ocf_1_1", "render_metadata"]

# The OCF standard version of the newer document; ra-api-1.dtd reads `<version>` as free text.
OCF_VERSION = "1.1"

_DOCTYPE = '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">'


def caller_speaks_ocf_1_1(environ: Mapping[str, str]) -> bool:
    """OCF_RA_VERSION_MAJOR.MINOR of the caller is 1.1 or later (absent: an older caller, or ocf-tester)."""
    try:
        version = (int(environ.get("OCF_RA_VERSION_MAJOR", "1")), int(environ.get("OCF_RA_VERSION_MINOR", "0")))
    except ValueError:
        return False
    return version >= (1, 1)


def render_metadata(agent: Agent, *, ocf_1_1: bool = False) -> str:
    """The meta-data document (OCF 1.1, or ra-api-1.dtd's 1.0); lxml escapes, so any description text is safe."""
    from lxml import etree

    root = etree.Element("resource-agent", name=agent.name, version=agent.version)
    etree.SubElement(root, "version").text = OCF_VERSION if ocf_1_1 else "1.0"
    etree.SubElement(root, "longdesc", lang="en").text = agent.longdesc
    etree.SubElement(root, "shortdesc", lang="en").text = agent.shortdesc
    params = etree.SubElement(root, "parameters")
    for param in agent.parameters:
        attrs = {"name": param.name, "unique": "1" if param.unique else "0", "required": "1" if param.required else "0"}
        if ocf_1_1 and param.reloadable:
            attrs["reloadable"] = "1"
        elem = etree.SubElement(params, "parameter", attrs)
        etree.SubElement(elem, "longdesc", lang="en").text = param.longdesc
        etree.SubElement(elem, "shortdesc", lang="en").text = param.shortdesc
        content = {"type": param.type}
        if param.default is not None:
            content["default"] = param.default
        etree.SubElement(elem, "content", content)
    actions = etree.SubElement(root, "actions")
    declared = list(agent.actions)
    reloadable = any(p.reloadable for p in agent.parameters)
    has_reload = any(a.name == "reload" for a in declared)
    if ocf_1_1 and reloadable and has_reload and not any(a.name == "reload-agent" for a in declared):
        reload = next(a for a in declared if a.name == "reload")
        declared.insert(declared.index(reload) + 1, Action("reload-agent", reload.timeout))
    for action in declared:
        attrs = {"name": action.name, "timeout": f"{action.timeout}s"}
        if action.interval is not None:
            attrs["interval"] = f"{action.interval}s"
        if action.depth is not None:
            attrs["depth"] = str(action.depth)
        if action.role is not None:
            attrs["role"] = action.role
        etree.SubElement(actions, "action", attrs)
    body = etree.tostring(root, pretty_print=True, encoding="unicode")
    if ocf_1_1:
        return f'<?xml version="1.0"?>\n{body}'
    return f'<?xml version="1.0"?>\n{_DOCTYPE}\n{body}'

"""Render an agent's declaration as OCF meta-data XML (valid for ra-api-1.dtd and OCF 1.1 readers)."""

from __future__ import annotations

from xenha.ocf import Agent

__all__ = ["OCF_VERSION", "render_metadata"]

# The OCF standard version the document follows; ra-api-1.dtd reads it as free text.
OCF_VERSION = "1.1"

_DOCTYPE = '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">'


def render_metadata(agent: Agent) -> str:
    """The meta-data document; lxml does the escaping, so any text in a description is safe."""
    from lxml import etree

    root = etree.Element("resource-agent", name=agent.name, version=agent.version)
    etree.SubElement(root, "version").text = OCF_VERSION
    etree.SubElement(root, "longdesc", lang="en").text = agent.longdesc
    etree.SubElement(root, "shortdesc", lang="en").text = agent.shortdesc
    params = etree.SubElement(root, "parameters")
    for param in agent.parameters:
        # OCF 1.1's `reloadable` attribute is not in ra-api-1.dtd, which ocf-tester enforces, so it is not emitted;
        # the parameter longdesc says when a change is applied by reload.
        attrs = {"name": param.name, "unique": "1" if param.unique else "0", "required": "1" if param.required else "0"}
        elem = etree.SubElement(params, "parameter", attrs)
        etree.SubElement(elem, "longdesc", lang="en").text = param.longdesc
        etree.SubElement(elem, "shortdesc", lang="en").text = param.shortdesc
        content = {"type": param.type}
        if param.default is not None:
            content["default"] = param.default
        etree.SubElement(elem, "content", content)
    actions = etree.SubElement(root, "actions")
    for action in agent.actions:
        attrs = {"name": action.name, "timeout": f"{action.timeout}s"}
        if action.interval is not None:
            attrs["interval"] = f"{action.interval}s"
        if action.depth is not None:
            attrs["depth"] = str(action.depth)
        if action.role is not None:
            attrs["role"] = action.role
        etree.SubElement(actions, "action", attrs)
    body = etree.tostring(root, pretty_print=True, encoding="unicode")
    return f'<?xml version="1.0"?>\n{_DOCTYPE}\n{body}'

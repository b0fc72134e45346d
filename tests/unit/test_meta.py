# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""ocf.metadata: escaping; the OCF 1.0 document valid for ra-api-1.dtd and resource-agents' schema; the OCF 1.1 one
with reloadable parameters and reload-agent, the same agent otherwise; which caller gets which."""

from __future__ import annotations

from pathlib import Path

from xenha import ocf
from xenha.ocf.metadata import render_metadata

DTD = Path("/usr/share/resource-agents/ra-api-1.dtd")
RNG = Path("/usr/share/resource-agents/metadata.rng")

AGENT = ocf.Agent(
    name="Tricky",
    version="1.0",
    shortdesc="a <tricky> & 'quoted' agent",
    longdesc='Text with <angle> brackets, & ampersands and "quotes".',
    parameters=(
        ocf.Parameter("config", "config & more", "A <path>.", required=True, unique=True),
        ocf.Parameter("timeout", "seconds", "Seconds.", type="integer", default="30", reloadable=True),
    ),
    actions=(
        ocf.Action("start", 60),
        ocf.Action("monitor", 20, interval=10, depth=0),
        ocf.Action("reload", 30),
        ocf.Action("meta-data", 5),
    ),
)


def validate(xml: str) -> None:
    """Validate `xml` against the DTD ocf-tester uses and the 1.1 RelaxNG schema; raise on failure."""
    from lxml import etree

    doc = etree.fromstring(xml.encode())
    dtd = etree.DTD(str(DTD))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    rng = etree.RelaxNG(etree.parse(str(RNG)))
    assert rng.validate(doc), rng.error_log


def test_escaping_round_trips():
    from lxml import etree

    xml = render_metadata(AGENT, ocf_1_1=False)
    doc = etree.fromstring(xml.encode())
    assert doc.findtext("shortdesc") == "a <tricky> & 'quoted' agent"
    assert doc.find("parameters/parameter[@name='config']").get("unique") == "1"
    assert doc.find("actions/action[@name='monitor']").get("interval") == "10s"


def test_ocf_1_0_document_is_valid_against_dtd_and_rng():
    validate(render_metadata(AGENT, ocf_1_1=False))


def test_doctype_names_the_dtd():
    assert '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">' in render_metadata(AGENT, ocf_1_1=False).splitlines()[1]


def test_ocf_1_1_document_marks_reloadable_parameters_and_offers_reload_agent():
    from lxml import etree

    doc = etree.fromstring(render_metadata(AGENT, ocf_1_1=True).encode())
    assert doc.findtext("version") == "1.1"
    assert doc.find("parameters/parameter[@name='timeout']").get("reloadable") == "1"
    assert doc.find("parameters/parameter[@name='config']").get("reloadable") is None
    assert [a.get("name") for a in doc.iter("action")] == ["start", "monitor", "reload", "reload-agent", "meta-data"]
    assert doc.find("actions/action[@name='reload-agent']").get("timeout") == "30s"


def test_both_documents_describe_the_same_agent():
    """The 1.1 document minus its 1.1 additions is the 1.0 document minus its DOCTYPE and version: and that passes
    the DTD and the schema, so the 1.1 document is checked as far as Debian's schemas reach."""
    from lxml import etree

    new = etree.fromstring(render_metadata(AGENT, ocf_1_1=True).encode())
    old = etree.fromstring(render_metadata(AGENT, ocf_1_1=False).encode())
    for param in new.iter("parameter"):
        param.attrib.pop("reloadable", None)
    for action in list(new.iter("action")):
        if action.get("name") == "reload-agent":
            action.getparent().remove(action)
    new.find("version").text = old.find("version").text = "x"
    assert etree.tostring(new) == etree.tostring(old)
    validate(etree.tostring(new).decode())


def test_pacemaker_gets_ocf_1_1_ocf_tester_gets_the_dtd_document():
    from xenha.ocf.metadata import caller_speaks_ocf_1_1

    assert caller_speaks_ocf_1_1({"OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1"})  # pacemaker 2.1
    assert not caller_speaks_ocf_1_1({"OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "0"})  # pacemaker 2.0
    assert not caller_speaks_ocf_1_1({})  # ocf-tester, an admin's shell
    assert not caller_speaks_ocf_1_1({"OCF_RA_VERSION_MINOR": "x"})


def test_reload_agent_runs_the_reload_handler():
    import io

    calls = []

    def reload(env):
        calls.append(env.action)
        return ocf.ExitCode.SUCCESS

    code = ocf.run(AGENT, {"reload": reload}, {}, ["Tricky", "reload-agent"], stderr=io.StringIO())
    assert (code, calls) == (0, ["reload-agent"])

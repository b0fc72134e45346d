"""meta.render_metadata: escaping, and validity against ra-api-1.dtd and resource-agents' OCF 1.1 schema."""

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
        ocf.Parameter("timeout", "seconds", "Seconds.", type="integer", default="30"),
    ),
    actions=(ocf.Action("start", 60), ocf.Action("monitor", 20, interval=10, depth=0), ocf.Action("meta-data", 5)),
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

    xml = render_metadata(AGENT)
    doc = etree.fromstring(xml.encode())
    assert doc.findtext("shortdesc") == "a <tricky> & 'quoted' agent"
    assert doc.find("parameters/parameter[@name='config']").get("unique") == "1"
    assert doc.find("actions/action[@name='monitor']").get("interval") == "10s"


def test_valid_against_dtd_and_rng():
    validate(render_metadata(AGENT))


def test_doctype_names_the_dtd():
    assert '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">' in render_metadata(AGENT).splitlines()[1]

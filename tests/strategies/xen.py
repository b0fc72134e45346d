# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies for the Xen grammars: each draws a model and renders it exactly as xm/xl/xend print it."""

from __future__ import annotations

import json
import string

from hypothesis import strategies as st

from tests.oracles.xen import DomainUptime
from xenha.xen.config import ConfigValue, DiskKind, DiskSpec, DomainType, DomUConfig, VifSpec
from xenha.xen.listing import Domain, Toolstack
from xenha.xen.long import DomainConfig, SExpr, XendStatus

__all__ = [
    "XL_COLUMN_SETS",
    "disk_specs",
    "domu_configs",
    "render_sxp",
    "render_xl_row",
    "render_xm_row",
    "sxp_exprs",
    "uptime_outputs",
    "vif_specs",
    "xl_flags",
    "xl_info_outputs",
    "xl_list_long_json_outputs",
    "xl_list_long_sxp_outputs",
    "xl_list_outputs",
    "xm_flags",
    "xm_list_long_outputs",
    "xm_list_outputs",
]

# ---------------------------------------------------------------------------------------------------------------------
# Flags and names

XL_REASONS = "-rscwS?"


@st.composite
def xm_flags(draw: st.DrawFn) -> str:
    """xend's state: each of `r b p s c d` or '-' (XendConfig.py CONFIG_OLD_DOM_STATES)."""
    return "".join(draw(st.sampled_from([letter, "-"])) for letter in "rbpscd")


@st.composite
def xl_flags(draw: st.DrawFn) -> str:
    """xl's state: r b p s, the shutdown reason letter (only while `s`), d (xl_info.c list_domains)."""
    head = "".join(draw(st.sampled_from([letter, "-"])) for letter in "rbps")
    reason = draw(st.sampled_from(XL_REASONS)) if head[3] == "s" else "-"
    return head + reason + draw(st.sampled_from("d-"))


_XEND_NAME_CHARS = string.ascii_letters + string.digits + "_-.:/+"  # XendDomainInfo._checkName
xm_names = st.text(_XEND_NAME_CHARS, min_size=1, max_size=50)


@st.composite
def xl_names(draw: st.DrawFn) -> str | None:
    """libxl names: any printable, spaces allowed inside; None stands for `(null)`."""
    if draw(st.integers(0, 9)) == 0:
        return None
    inner = st.text(_XEND_NAME_CHARS + " ", max_size=48)
    name = draw(st.text(_XEND_NAME_CHARS, min_size=1, max_size=1)) + draw(inner)
    name = name.rstrip() or "x"
    return "x(null)" if name == "(null)" else name


tenths = st.integers(0, 10**9).map(lambda t: t / 10)
uuids = st.uuids().map(str)

# ---------------------------------------------------------------------------------------------------------------------
# `xl list` / `xm list` (GRAMMAR.md §4.1, §4.3)

XL_COLUMN_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ("verbose",),
    ("context",),
    ("claims",),
    ("cpupool",),
    ("numa",),
    ("verbose", "cpupool"),
    ("context", "cpupool", "numa"),
    ("cpupool", "numa"),
)
_XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
_XL_HEADER_EXTRA = {
    "verbose": "   UUID                            Reason-Code\tSecurity Label",
    "context": "   Security Label",
    "claims": "  Claimed",
    "cpupool": "         Cpupool",
    "numa": " NODE Affinity",
}
_LABEL_CHARS = string.ascii_letters + string.digits + "_:."


@st.composite
def _xl_domain(draw: st.DrawFn, columns: tuple[str, ...]) -> Domain:
    flags = draw(xl_flags())
    code: int | None = None
    if "verbose" in columns and flags[3] == "s":
        index = XL_REASONS.index(flags[4])
        code = index if index < 6 else draw(st.sampled_from([6, 7, 255, 0xFFFFFFFF]))
    labelled = "verbose" in columns or "context" in columns
    pool_size = 15 if labelled else 20  # after a label a pool name must not glue (see _row_pattern)
    return Domain(
        name=draw(xl_names()),
        domid=draw(st.integers(0, 99999)),
        memory_mib=draw(st.integers(0, 10**6)),
        vcpus=draw(st.integers(0, 512)),
        flags=flags,
        cpu_time=draw(tenths),
        toolstack=Toolstack.XL,
        uuid=draw(uuids) if "verbose" in columns else None,
        shutdown_code=code,
        security_label=draw(st.none() | st.text(_LABEL_CHARS, min_size=1, max_size=20)) if labelled else None,
        claimed_mib=draw(st.integers(0, 10**6)) if "claims" in columns else None,
        cpupool=draw(st.text(_LABEL_CHARS + "-", min_size=1, max_size=pool_size)) if "cpupool" in columns else None,
        node_affinity=draw(st.sampled_from(["all", "0", "0-1", "0,2-3", "none"])) if "numa" in columns else None,
    )


def render_xl_row(domain: Domain, columns: tuple[str, ...]) -> str:
    """One row exactly as xl_info.c list_domains prints it."""
    assert domain.flags is not None and domain.domid is not None
    name = "(null)" if domain.name is None else domain.name
    row = "%-40s %5d %5d %5d     %s  %8.1f" % (  # noqa: UP031 - mirrors the C printf
        name,
        domain.domid,
        domain.memory_mib,
        domain.vcpus,
        domain.flags,
        domain.cpu_time,
    )
    if "verbose" in columns:
        row += " " + str(domain.uuid)
        row += " %8x" % domain.shutdown_code if domain.shutdown_code is not None else " %8s" % "-"  # noqa: UP031
    if "claims" in columns:
        row += " %5d" % (domain.claimed_mib or 0)  # noqa: UP031
    if "verbose" in columns or "context" in columns:
        row += " %16s" % (domain.security_label or "-")  # noqa: UP031
    if "cpupool" in columns:
        row += "%16s" % domain.cpupool  # noqa: UP031
    if "numa" in columns:
        row += " " + str(domain.node_affinity)
    return row


@st.composite
def xl_list_outputs(draw: st.DrawFn) -> tuple[tuple[Domain, ...], str]:
    """`xl list [-v|-Z] [-c] [-n]` / `xl claims` text: the TAB header, then one row per domain."""
    columns = draw(st.sampled_from(XL_COLUMN_SETS))
    domains = tuple(draw(st.lists(_xl_domain(columns), max_size=4)))
    header = _XL_HEADER + "".join(_XL_HEADER_EXTRA[column] for column in columns)
    lines = [header] + [render_xl_row(domain, columns) for domain in domains]
    return domains, "\n".join(lines) + "\n"


@st.composite
def _xm_domain(draw: st.DrawFn, labelled: bool) -> Domain:
    active = draw(st.integers(0, 5)) > 0  # xend also lists managed domains it has not started
    return Domain(
        name=draw(xm_names),
        domid=draw(st.integers(0, 99999)) if active else None,
        memory_mib=draw(st.integers(0, 99999)),
        vcpus=draw(st.integers(0, 512)),
        flags=draw(xm_flags()) if active else None,
        cpu_time=draw(tenths),
        toolstack=Toolstack.XM,
        security_label=draw(st.text(_LABEL_CHARS, min_size=1, max_size=20)) if labelled else None,
    )


def render_xm_row(domain: Domain, labelled: bool) -> str:
    """One row as main.py xm_brief_list / xm_label_list prints it."""
    row = "%-40s %5s %5d %5d %10s %8.1f" % (  # noqa: UP031 - mirrors the Python 2 format of main.py
        domain.name,
        "" if domain.domid is None else domain.domid,
        domain.memory_mib,
        domain.vcpus,
        domain.flags or "",
        domain.cpu_time,
    )
    if labelled:
        row += " %10s" % domain.security_label  # noqa: UP031
    return row


@st.composite
def xm_list_outputs(draw: st.DrawFn) -> tuple[tuple[Domain, ...], str]:
    """`xm list [--label]` text."""
    labelled = draw(st.booleans())
    domains = tuple(draw(st.lists(_xm_domain(labelled), max_size=4)))
    if labelled:
        header = "%-40s %5s %5s %5s %10s %9s %-10s" % ("Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "Label")  # noqa: UP031
    else:
        header = "%-40s %5s %5s %5s %10s %9s" % ("Name", "ID", "Mem", "VCPUs", "State", "Time(s)")  # noqa: UP031
    return domains, "\n".join([header] + [render_xm_row(d, labelled) for d in domains]) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# SXP (GRAMMAR.md §4.2): xend's sxp.show quoting and a PrettyPrint-like layout


def _is_bare(atom: str) -> bool:
    """xend's sxp.atomp: printed without quotes."""
    if atom.isascii() and atom.isalnum():
        return True
    return bool(atom) and all(c in string.ascii_letters + string.digits + ".-_:/~" for c in atom)


def _quote(atom: str) -> str:
    out = []
    for char in atom:
        if char in "\\'":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            out.append("\\x%02x" % ord(char))  # noqa: UP031
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def render_sxp(expr: SExpr, indent: int = 0) -> str:
    """Render like xend's PrettyPrint: one line when it fits in 80 columns, else one child per line, 4 deeper."""
    if isinstance(expr, str):
        return expr if _is_bare(expr) else _quote(expr)
    flat = "(" + " ".join(render_sxp(child) for child in expr) + ")"
    if "\n" not in flat and indent + len(flat) <= 80:
        return flat
    pad = " " * (indent + 4)
    first, *rest = expr
    lines = ["(" + render_sxp(first, indent + 1)]
    lines += [pad + render_sxp(child, indent + 4) for child in rest]
    return "\n".join(lines) + "\n" + " " * indent + ")"


_SXP_ATOM_CHARS = string.ascii_letters + string.digits + " .-_:/~'\"()#\\\t\n!;[]{}<>@$%&"
sxp_atoms = st.text(_SXP_ATOM_CHARS, min_size=1, max_size=12)


def sxp_exprs() -> st.SearchStrategy[SExpr]:
    """Any S-expression tree: atoms (quoted when xend would quote them) and nested lists."""
    return st.recursive(
        sxp_atoms,
        lambda children: st.lists(children, max_size=5).map(tuple),
        max_leaves=15,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Disks and vifs (xl-disk-configuration(5), xm uname)

_PATH_CHARS = string.ascii_letters + string.digits + "_-."
_path_parts = st.text(_PATH_CHARS, min_size=1, max_size=10)
_resources = st.text(string.ascii_lowercase + string.digits + "_-", min_size=1, max_size=10).filter(
    lambda r: r[0].isalpha()
)
_vdevs = st.sampled_from(["xvda", "xvda1", "xvdb", "sda", "sda1", "hda", "hdc"])


@st.composite
def _backing(draw: st.DrawFn) -> tuple[str, str, DiskKind, str | None, str | None]:
    """A legacy uname: (target, path, kind, format, script)."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        path = f"/dev/drbd{draw(st.integers(0, 1048575))}"
        return f"phy:{path}", path, DiskKind.PHY, None, None
    if choice == 1:
        volume = draw(st.none() | st.integers(0, 15))
        path = f"/dev/drbd/by-res/{draw(_resources)}" + ("" if volume is None else f"/{volume}")
        return f"phy:{path}", path, DiskKind.PHY, None, None
    if choice == 2:
        resource = draw(_resources)
        return f"drbd:{resource}", resource, DiskKind.DRBD, None, "block-drbd"
    if choice == 3:
        path = "/var/lib/xen/" + draw(_path_parts) + ".img"
        return f"file:{path}", path, DiskKind.FILE, None, None
    if choice == 4:
        path = "/srv/" + draw(_path_parts)
        fmt = draw(st.sampled_from(["aio", "qcow", "qcow2", "vhd"]))
        return f"tap:{fmt}:{path}", path, DiskKind.TAP, None if fmt == "aio" else fmt, None
    path = "/dev/" + draw(_path_parts) + "/" + draw(_path_parts)
    return f"phy:{path}", path, DiskKind.PHY, None, None


@st.composite
def disk_specs(draw: st.DrawFn) -> tuple[DiskSpec, str]:
    """A DISKSPEC in xm's `uname,dev,mode`, xl's positional or xl's key=value form, with its expected model."""
    form = draw(st.sampled_from(["legacy", "keyvalue", "positional"]))
    vdev = draw(_vdevs)
    cdrom = draw(st.booleans()) if form == "legacy" else False
    if form == "legacy":
        target, path, kind, fmt, script = draw(_backing())
        mode = draw(st.sampled_from(["w", "r", "w!", "rw", "ro"]))
        text = f"{target},{vdev}{':cdrom' if cdrom else ''},{mode}"
        spec = DiskSpec(target, path, vdev, mode, kind, fmt, script, cdrom)
    elif form == "keyvalue":
        path = draw(st.sampled_from(["/dev/drbd1", "/dev/drbd/by-res/r0/0", "/dev/vg/web1", "r0"]))
        mode = draw(st.sampled_from(["rw", "ro", "w", "r"]))
        backend = draw(st.sampled_from([None, "phy", "qdisk"]))
        script = draw(st.sampled_from([None, "block-drbd"]))
        items = ["format=raw", f"vdev={vdev}", f"access={mode}"]
        items += [] if backend is None else [f"backendtype={backend}"]
        items += [] if script is None else [f"script={script}"]
        items = draw(st.permutations(items))
        text = ", ".join([*items, f"target={path}"])
        kind = (
            DiskKind.DRBD if script else {None: DiskKind.UNKNOWN, "phy": DiskKind.PHY, "qdisk": DiskKind.QDISK}[backend]
        )
        spec = DiskSpec(path, path, vdev, mode, kind, "raw", script, False)
    else:
        path = "/dev/" + draw(_path_parts) + "/" + draw(_path_parts)
        fmt = draw(st.sampled_from(["", "raw", "qcow2"]))
        mode = draw(st.sampled_from(["rw", "ro", "w", "r"]))
        text = f"{path},{fmt},{vdev},{mode}"
        spec = DiskSpec(path, path, vdev, mode, DiskKind.UNKNOWN, fmt or None, None, False)
    return spec, text


_macs = st.lists(st.integers(0, 255), min_size=6, max_size=6).map(lambda b: ":".join("%02x" % x for x in b))  # noqa: UP031


@st.composite
def vif_specs(draw: st.DrawFn) -> tuple[VifSpec, str]:
    """A VIFSPEC `key=value, ...` with its expected model."""
    mac = draw(st.none() | _macs)
    bridge = draw(st.none() | st.sampled_from(["xenbr0", "br0", "xen-br1"]))
    script = draw(st.none() | st.just("vif-bridge"))
    rate = draw(st.none() | st.just("10Mb/s"))
    items = [(k, v) for k, v in (("mac", mac), ("bridge", bridge), ("script", script), ("rate", rate)) if v]
    items = draw(st.permutations(items))
    text = ", ".join(f"{k}={v}" for k, v in items)
    return VifSpec(mac=mac, bridge=bridge, script=script, options=(("rate", rate),) if rate else ()), text


# ---------------------------------------------------------------------------------------------------------------------
# domU config files


def _py_string(value: str, quote: str) -> str:
    return quote + value + quote


@st.composite
def domu_configs(draw: st.DrawFn) -> tuple[DomUConfig, str]:
    """A domU config file (xm and xl share this subset) with comments, both quote styles and multi-line lists."""
    quote = draw(st.sampled_from(["'", '"']))
    name = draw(xm_names)
    settings: list[tuple[str, ConfigValue]] = [("name", name)]
    memory = draw(st.none() | st.integers(32, 65536))
    vcpus = draw(st.none() | st.integers(1, 64))
    kind = draw(st.sampled_from([None, "builder", "type"]))
    dtype = DomainType.PV
    if memory is not None:
        settings.append(("memory", memory))
    if vcpus is not None:
        settings.append(("vcpus", vcpus))
    if kind == "builder":
        builder = draw(st.sampled_from(["hvm", "generic", "linux"]))
        settings.append(("builder", builder))
        dtype = DomainType.HVM if builder == "hvm" else DomainType.PV
    elif kind == "type":
        dtype = draw(st.sampled_from(list(DomainType)))
        settings.append(("type", dtype.value))
    disks = draw(st.lists(disk_specs(), max_size=4))
    vifs = draw(st.lists(vif_specs(), max_size=3))
    if disks:
        settings.append(("disk", tuple(text for _, text in disks)))
    if vifs:
        settings.append(("vif", tuple(text for _, text in vifs)))
    settings.append(("on_crash", draw(st.sampled_from(["destroy", "restart", "preserve"]))))
    order = draw(st.permutations(settings))
    lines = [draw(st.sampled_from(["", "# Xen domU configuration", "#!/usr/bin/env python"]))]
    for key, value in order:
        if isinstance(value, tuple):
            items = [_py_string(str(item), quote) for item in value]
            if draw(st.booleans()):
                lines.append(f"{key} = [ " + ", ".join(items) + " ]")
            else:
                lines.append(f"{key} = [")
                lines += [f"    {item}," for item in items]
                lines.append("]  # end of list")
        elif isinstance(value, str):
            lines.append(f"{key} = {_py_string(value, quote)}" + draw(st.sampled_from(["", ";", "  # comment"])))
        else:
            lines.append(f"{key}={value}" + draw(st.sampled_from(["", ";"])))
    config = DomUConfig(
        name=name,
        type=dtype,
        memory_mib=memory,
        maxmem_mib=None,
        vcpus=vcpus,
        disks=tuple(spec for spec, _ in disks),
        vifs=tuple(spec for spec, _ in vifs),
        settings=tuple(order),
    )
    return config, "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# `xm list --long`, `xl list -l` (JSON and Xen 4.1 SXP)


@st.composite
def _xm_config(draw: st.DrawFn) -> tuple[DomainConfig, SExpr]:
    active = draw(st.integers(0, 4)) > 0
    name = draw(xm_names)
    domid = draw(st.integers(0, 65535)) if active else None
    flags = draw(xm_flags()) if active else None
    status = draw(st.sampled_from(list(XendStatus)))
    dtype = draw(st.sampled_from([DomainType.PV, DomainType.HVM]))
    memory, maxmem, vcpus = draw(st.integers(0, 99999)), draw(st.integers(0, 2**24)), draw(st.integers(1, 64))
    uuid = draw(uuids)
    disks = []
    for _ in range(draw(st.integers(0, 3))):
        target, path, kind, fmt, script = draw(_backing())
        vdev, mode = draw(_vdevs), draw(st.sampled_from(["w", "r", "w!"]))
        disks.append(DiskSpec(target, path, vdev, mode, kind, fmt, script, False))
    vifs = [
        VifSpec(mac=draw(_macs), bridge=draw(st.sampled_from(["xenbr0", "xen-br0"])))
        for _ in range(draw(st.integers(0, 2)))
    ]
    body: list[SExpr] = ["domain"]
    if domid is not None:
        body.append(("domid", str(domid)))
    body += [("cpu_weight", "256"), ("bootloader",), ("uuid", uuid), ("vcpus", str(vcpus)), ("name", name)]
    body += [("cpus", ((),)), ("maxmem", str(maxmem)), ("memory", str(memory)), ("cpu_time", "24.116146647")]
    kernel = ("kernel", "/boot/vmlinuz") if dtype is DomainType.PV else ("kernel", "/usr/lib/xen/boot/hvmloader")
    body.append(("image", ("linux" if dtype is DomainType.PV else "hvm", kernel, ("args", "root=/dev/xvda1 ro"))))
    body.append(("status", str(status.value)))
    if flags is not None:
        body += [("state", flags), ("store_mfn", "8836555")]
    for vif in vifs:
        body.append(("device", ("vif", ("bridge", str(vif.bridge)), ("mac", str(vif.mac)))))
    for disk in disks:
        dev = ("vbd", ("uname", disk.target), ("dev", f"{disk.vdev}:disk"), ("mode", str(disk.mode)))
        body.append(("device", dev))
    config = DomainConfig(
        name=name,
        domid=domid,
        toolstack=Toolstack.XM,
        type=dtype,
        uuid=uuid,
        memory_mib=memory,
        maxmem_mib=maxmem,
        vcpus=vcpus,
        disks=tuple(disks),
        vifs=tuple(vifs),
        status=status,
        flags=flags,
    )
    return config, tuple(body)


@st.composite
def xm_list_long_outputs(draw: st.DrawFn) -> tuple[tuple[DomainConfig, ...], str]:
    """`xm list --long`: one pretty-printed `(domain ...)` per domain."""
    pairs = draw(st.lists(_xm_config(), max_size=2))
    text = "".join(render_sxp(expr) + "\n" for _, expr in pairs)
    return tuple(config for config, _ in pairs), text


@st.composite
def _xl_json_disk(draw: st.DrawFn) -> tuple[DiskSpec, dict[str, object]]:
    drbd = draw(st.booleans())
    pdev = draw(_resources) if drbd else draw(st.sampled_from(["/dev/drbd1", "/dev/drbd/by-res/r0/0", "/dev/vg/x"]))
    backend = draw(st.sampled_from(["phy", "qdisk", "tap"]))
    readwrite = draw(st.sampled_from([0, 1]))
    vdev = draw(_vdevs)
    script = "block-drbd" if drbd else None
    kind = DiskKind.DRBD if drbd else {"phy": DiskKind.PHY, "qdisk": DiskKind.QDISK, "tap": DiskKind.TAP}[backend]
    raw: dict[str, object] = {
        "backend_domid": 0,
        "backend_domname": None,
        "pdev_path": pdev,
        "vdev": vdev,
        "backend": backend,
        "format": "raw",
        "script": script,
        "removable": 0,
        "readwrite": readwrite,
        "is_cdrom": 0,
    }
    return DiskSpec(pdev, pdev, vdev, "w" if readwrite else "r", kind, "raw", script, False), raw


@st.composite
def _xl_json_config(draw: st.DrawFn, second_domid: bool) -> tuple[DomainConfig, dict[str, object]]:
    domid = draw(st.integers(0, 65535))
    name = draw(xm_names)
    dtype = draw(st.sampled_from(list(DomainType)))
    memory, maxmem, vcpus = draw(st.integers(0, 2**20)), draw(st.integers(0, 2**22)), draw(st.integers(1, 128))
    uuid = draw(uuids)
    disks = draw(st.lists(_xl_json_disk(), max_size=3))
    vifs = [
        VifSpec(mac=draw(_macs), bridge="xenbr0", script="vif-bridge", type="vif")
        for _ in range(draw(st.integers(0, 2)))
    ]
    c_info: dict[str, object] = {"type": dtype.value, "hap": "<default>", "ssidref": 0, "name": name, "uuid": uuid}
    if second_domid:
        c_info["domid"] = domid  # Xen 4.14+
    c_info["xsdata"] = {}
    b_info: dict[str, object] = {
        "max_vcpus": vcpus,
        "avail_vcpus": list(range(vcpus)),
        "max_memkb": maxmem * 1024,
        "target_memkb": memory * 1024 + draw(st.integers(0, 1023)),
        f"type.{dtype.value}": {},
    }
    nics = [
        {"backend_domid": 0, "devid": i, "mac": v.mac, "bridge": v.bridge, "script": v.script, "nictype": v.type}
        for i, v in enumerate(vifs)
    ]
    raw = {"domid": domid, "config": {"c_info": c_info, "b_info": b_info, "disks": [r for _, r in disks], "nics": nics}}
    config = DomainConfig(
        name=name,
        domid=domid,
        toolstack=Toolstack.XL,
        type=dtype,
        uuid=uuid,
        memory_mib=memory,
        maxmem_mib=maxmem,
        vcpus=vcpus,
        disks=tuple(d for d, _ in disks),
        vifs=tuple(vifs),
    )
    return config, raw


@st.composite
def xl_list_long_json_outputs(draw: st.DrawFn) -> tuple[tuple[DomainConfig, ...], str]:
    """`xl list -l` JSON: an array (yajl/json-c pretty printing) or Xen 4.2's concatenated objects."""
    second = draw(st.booleans())
    pairs = draw(st.lists(_xl_json_config(second), max_size=2))
    raws = [raw for _, raw in pairs]
    style = draw(st.sampled_from(["array", "compact", "concatenated"]))
    if style == "array":
        text = json.dumps(raws, indent=4) + "\n"
    elif style == "compact":
        text = json.dumps(raws) + "\n"
    else:
        text = "".join(json.dumps(raw, indent=4) + "\n" for raw in raws)
    return tuple(config for config, _ in pairs), text


@st.composite
def _xl_sxp_config(draw: st.DrawFn, xen41: bool) -> tuple[DomainConfig, str]:
    domid, name = draw(st.integers(0, 65535)), draw(xm_names)
    hvm = draw(st.booleans())
    vcpus, maxmem, memory = draw(st.integers(1, 64)), draw(st.integers(0, 2**20)), draw(st.integers(0, 2**20))
    uuid = draw(uuids)
    lines = ["(domain", f"\t(domid {domid})", "\t(domain_create_info)" if xen41 else "\t(create_info)"]
    lines += [f"\t(hvm {int(hvm)})", "\t(hap 1)", "\t(oos 1)", "\t(ssidref 0)", f"\t(name {name})", f"\t(uuid {uuid})"]
    lines += [
        "\t(cpupool Pool-0 (0))" if xen41 else "\t(cpupool Pool-0)",
        "\t(xsdata (null))",
        "\t(platformdata (null))",
    ]
    lines += ["\t(domain_build_info)" if xen41 else "\t(build_info)", f"\t(max_vcpus {vcpus})", "\t(tsc_mode 0)"]
    lines += [f"\t(max_memkb {maxmem * 1024})", f"\t(target_memkb {memory * 1024})", "\t(nomigrate 0)", "\t(image"]
    if hvm:
        lines += ["\t\t(hvm", "\t\t\t(loader /usr/lib/xen/boot/hvmloader)", "\t\t\t(pae 1)", "\t\t)"]
    else:  # the unbalanced PV branch of printf_info: `(linux 0)` is closed at once, then `\t\t)` closes image
        lines += [
            "\t\t(linux 0)",
            "\t\t\t(kernel /boot/vmlinuz)",
            "\t\t\t(cmdline root=/dev/xvda1 ro)",
            "\t\t\t(ramdisk )",
        ]
        lines += ["\t\t)"]
    lines.append("\t)")
    disks = []
    numbers = (
        {DiskKind.PHY: 6, DiskKind.FILE: 5, DiskKind.TAP: 4}
        if xen41
        else {DiskKind.PHY: 1, DiskKind.TAP: 2, DiskKind.QDISK: 3}
    )
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(sorted(numbers, key=str)))
        path, vdev, rw = draw(st.sampled_from(["/dev/drbd3", "/dev/vg/x"])), draw(_vdevs), draw(st.booleans())
        lines += [
            "\t(device",
            "\t\t(tap",
            "\t\t\t(backend_domid 0)",
            f"\t\t\t({'domid' if xen41 else 'frontend_domid'} {domid})",
        ]
        lines += [f"\t\t\t(physpath {path})", f"\t\t\t(phystype {numbers[kind]})", f"\t\t\t(virtpath {vdev})"]
        lines += ["\t\t\t(unpluggable 0)", f"\t\t\t(readwrite {int(rw)})", "\t\t\t(is_cdrom 0)", "\t\t)", "\t)"]
        disks.append(DiskSpec(path, path, vdev, "w" if rw else "r", kind))
    vifs = []
    for devid in range(draw(st.integers(0, 2))):
        mac = draw(_macs)
        lines += ["\t(device", "\t\t(vif", "\t\t\t(backend_domid 0)", f"\t\t\t(devid {devid})", "\t\t\t(mtu 1492)"]
        lines += ["\t\t\t(model (null))", f"\t\t\t(mac {mac.replace(':', '')})", "\t\t)", "\t)"]
        vifs.append(VifSpec(mac=mac))
    lines.append(")")
    config = DomainConfig(
        name=name,
        domid=domid,
        toolstack=Toolstack.XL,
        type=DomainType.HVM if hvm else DomainType.PV,
        uuid=uuid,
        memory_mib=memory,
        maxmem_mib=maxmem,
        vcpus=vcpus,
        disks=tuple(disks),
        vifs=tuple(vifs),
    )
    return config, "\n".join(lines) + "\n"


@st.composite
def xl_list_long_sxp_outputs(draw: st.DrawFn) -> tuple[tuple[DomainConfig, ...], str]:
    """Xen 4.1's default `xl list -l` (printf_info, TAB-indented SXP-like text; xl_sxp.c later)."""
    xen41 = draw(st.booleans())
    pairs = draw(st.lists(_xl_sxp_config(xen41), min_size=1, max_size=2))
    return tuple(config for config, _ in pairs), "".join(text for _, text in pairs)


# ---------------------------------------------------------------------------------------------------------------------
# `xl info`, `xm uptime`


@st.composite
def xl_info_outputs(draw: st.DrawFn) -> tuple[dict[str, str], str]:
    """`xl info` / `xm info`: `%-23s: %s` lines with unique keys."""
    keys = draw(st.lists(st.text(string.ascii_lowercase + "_", min_size=1, max_size=22), unique=True, max_size=12))
    values = st.text(string.ascii_letters + string.digits + " .:,=()#-_", max_size=30).map(str.rstrip)
    info = {key: draw(values) for key in keys}
    text = "".join(f"{key:<23}: {value}\n" for key, value in info.items())
    return info, text


@st.composite
def uptime_outputs(draw: st.DrawFn) -> tuple[tuple[DomainUptime, ...], str]:
    """`xm uptime` (main.py xm_uptime)."""
    rows = draw(st.lists(st.builds(DomainUptime, xm_names, st.integers(0, 99999) | st.none(), st.integers(0, 10**8))))
    lines = ["%-33s %4s %s " % ("Name", "ID", "Uptime")]  # noqa: UP031
    for row in rows:
        days, rest = divmod(row.seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        up = f"{days} day{'s' if days > 1 else ''}, " if days > 0 else ""
        up += "%2d:%02d:%02d" % (hours, minutes, seconds)  # noqa: UP031
        lines.append("%-32s %5s " % (row.name, "" if row.domid is None else row.domid) + up)  # noqa: UP031
    return tuple(rows), "\n".join(lines) + "\n"

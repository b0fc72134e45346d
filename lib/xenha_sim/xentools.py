# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulator's `xl` and `xm`: argv in; the real tools' stdout, stderr and exit status out (GRAMMAR.md §4).

Each front end reads the world as the node named by $XENHA_SIM_NODE, sleeps first when the node's tool is made to
hang (state["nodes"][n]["hang"]["xl"|"xm"]), and prints what the real tool prints for the same situation; on a node
that is down, what it prints under a kernel booted without Xen (_NO_XEN):

* xl: Xen 4.17's tools/xl (xl_info.c, xl_vmcontrol.c, xl_migrate.c, xl_utils.c); libxl error lines use the
  `libxl: error: FILE:LINE:FUNC: Domain N:MESSAGE` form of that release.
* xm: Xen 4.0/4.1's tools/python/xen/xm (main.py `_run_cmd`: a missing domain is
  `Error: Domain 'X' does not exist.` with exit status 3 = XendClient.ERROR_INVALID_DOMAIN; other xend faults are
  `Error: MESSAGE` followed by the sub-command's usage on stdout, exit 1).

Rendering is pure (`render_*`), so tests compare it with the fixtures without running a process.
"""

from __future__ import annotations

import getopt
import json
import os
import struct
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from xenha_sim import xensim
from xenha_sim.domuconf import DomUConfig, DomUConfigError, read_domu_config
from xenha_sim.world import State, World, current_node, node_state

__all__ = [
    "XL_LIST_HEADER",
    "XL_LIST_VERBOSE_HEADER",
    "XM_LIST_HEADER",
    "render_xl_info",
    "render_xl_list",
    "render_xl_list_long",
    "render_xm_info",
    "render_xm_list",
    "render_xm_list_long",
    "render_sxp",
    "render_uptime",
    "xl_main",
    "xm_main",
]

# tools/xl/xl_info.c list_domains: the header has literal TABs (GRAMMAR.md §4.3).
XL_LIST_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
XL_LIST_VERBOSE_HEADER = XL_LIST_HEADER + "   UUID                            Reason-Code\tSecurity Label"
# xm/main.py xm_brief_list: '%-40s %5s %5s %5s %10s %9s' (GRAMMAR.md §4.1).
XM_LIST_HEADER = f"{'Name':<40} {'ID':>5} {'Mem':>5} {'VCPUs':>5} {'State':>10} {'Time(s)':>9}"
XEN_VERSION = (4, 17, ".3")
XM_XEN_VERSION = (4, 0, ".1")
POLL_S = 0.05

_XM_MIGRATE_USAGE = """Usage: xm migrate <Domain> <Host>

Migrate a domain to another machine.

Options:

-h, --help           Print this help.
-l, --live           Use live migration.
-p=portnum, --port=portnum
                     Use specified port for migration.
-n=nodenum, --node=nodenum
                     Use specified NUMA node on target.
-s, --ssl            Use ssl connection for migration.

"""
# The usage text above is the real one of xen/xm/migrate.py (Xen 3.4), as xm/commitmsg_migrate_live_error_*.txt show
# it (those copies carry quoted-printable "=3D" for "="); cmdHelp prints it with `print`, hence the blank line.

# A node that is down is, to a process still running there, a kernel without Xen: what each tool prints then, exit 1.
# xl (Xen 4.17.3): xl_ctx_alloc fails before any sub-command runs. tools/libs/call/linux.c:54 osdep_xencall_open
# finds neither /dev/xen/privcmd nor /proc/xen/privcmd (ENOENT) and logs through xtl_logger_stdio.c as
# `xencall: error: MSG: STRERROR`; tools/libs/light/libxl.c:102 libxl_ctx_alloc logs `cannot open libxc handle`
# with errno; tools/xl/xl.c:346 prints `cannot init xl context` and exits 1. Users' reports show these three lines.
# xm (Xen 3.4-4.4): xend cannot run without Xen, so its socket is not there: main.py _run_cmd (RELEASE-4.1.0:4008-4012)
# catches socket.error and prints `Error: Unable to connect to xend: %s. Is xend running?` with strerror(ENOENT),
# then exits 1 (reconstructed/xm/error_xend_not_running_stderr.txt), the words of a stopped xend on a dom0: only
# xenfs tells the two apart (xensim keeps each node's /proc/xen/capabilities, see xensim.set_capabilities_file).
_NO_XEN = {
    "xl": (
        "xencall: error: Could not obtain handle on privileged command interface: No such file or directory",
        "libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory",
        "cannot init xl context",
    ),
    "xm": ("Error: Unable to connect to xend: No such file or directory. Is xend running?",),
}


# -- rendering (pure) ------------------------------------------------------------------------------------------


def _float32(value: float) -> float:
    """xl prints `(float)cpu_time / 1e9` with %8.1f: round through a C float as it does."""
    packed: float = struct.unpack("f", struct.pack("f", value))[0]
    return packed


def render_xl_list(views: Sequence[xensim.DomainView], *, verbose: bool = False, context: bool = False) -> str:
    """`xl list` [-v] [-Z]: "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f" rows under the TAB header."""
    if verbose:
        header = XL_LIST_VERBOSE_HEADER
    elif context:
        header = XL_LIST_HEADER + "   Security Label"
    else:
        header = XL_LIST_HEADER
    lines = [header]
    for view in views:
        row = (
            f"{view.name:<40} {view.domid:5d} {view.memory:5d} {view.vcpus:5d}     {view.xl_state}  "
            f"{_float32(view.cpu_time):8.1f}"
        )
        if verbose:
            reason = view.shutdown_reason
            row += f" {view.uuid} " + (f"{reason:8x}" if reason is not None else f"{'-':>8}")
        if verbose or context:
            row += f" {'-':>16}"
        lines.append(row)
    return "\n".join(lines) + "\n"


def render_xm_list(views: Sequence[xensim.DomainView]) -> str:
    """`xm list`: '%(name)-40s %(domid)5s %(mem)5d %(vcpus)5d %(state)10s %(cpu_time)8.1f' (one space before Time)."""
    lines = [XM_LIST_HEADER]
    for view in views:
        lines.append(
            f"{view.name:<40} {view.domid!s:>5} {view.memory:5d} {view.vcpus:5d} {view.xm_state:>10} "
            f"{view.cpu_time:8.1f}"
        )
    return "\n".join(lines) + "\n"


def _yajl(value: Any, depth: int = 0) -> str:
    """yajl 2 gen with yajl_gen_beautify and a 4-space indent, as libxl_yajl_gen_alloc configures it."""
    indent = "    "
    if isinstance(value, dict):
        if not value:
            return "{\n\n" + indent * depth + "}"
        items = [indent * (depth + 1) + json.dumps(k) + ": " + _yajl(v, depth + 1) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent * depth + "}"
    if isinstance(value, list):
        if not value:
            return "[\n\n" + indent * depth + "]"
        items = [indent * (depth + 1) + _yajl(v, depth + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent * depth + "]"
    if isinstance(value, bool):
        return '"True"' if value else '"False"'  # libxl_defbool renders as a string
    return json.dumps(value)


def _mac(view: xensim.DomainView, index: int) -> str:
    raw = view.uuid.replace("-", "")
    return f"00:16:3e:{raw[0:2]}:{raw[2:4]}:{(int(raw[4:6] or '0', 16) + index) % 256:02x}"


def _xl_config(view: xensim.DomainView, node_record: dict[str, Any]) -> dict[str, Any]:
    """A libxl_domain_config as libxl_domain_config_gen_json emits it (IDL order, defaults left out)."""
    if view.config is None:
        return {
            "c_info": {"type": "pv", "name": "Domain-0", "uuid": view.uuid},
            "b_info": {
                "max_vcpus": view.vcpus,
                "max_memkb": view.maxmem * 1024,
                "target_memkb": view.memory * 1024,
                "sched_params": {},
                "type.pv": {},
                "arch_arm": {},
            },
        }
    cfg = view.config
    b_info: dict[str, Any] = {
        "max_vcpus": cfg.vcpus,
        "avail_vcpus": list(range(cfg.vcpus)),
        "max_memkb": cfg.maxmem * 1024,
        "target_memkb": view.memory * 1024,
        "shadow_memkb": 8192,
        "sched_params": {},
        "claim_mode": "False",
    }
    if cfg.builder == "hvm":
        b_info["type.hvm"] = {"pae": "True", "acpi": "True"}
    else:
        pv: dict[str, Any] = {}
        if cfg.kernel:
            pv["kernel"] = cfg.kernel
        if cfg.bootloader:
            pv["bootloader"] = cfg.bootloader
        if cfg.cmdline:
            pv["cmdline"] = cfg.cmdline
        if cfg.ramdisk:
            pv["ramdisk"] = cfg.ramdisk
        b_info["type.pv"] = pv
    b_info["arch_arm"] = {}
    config: dict[str, Any] = {
        "c_info": {
            "type": cfg.builder,
            "name": view.name,
            "domid": view.domid,
            "uuid": view.uuid,
            "run_hotplug_scripts": "True",
        },
        "b_info": b_info,
    }
    disks = []
    for disk in cfg.disks:
        entry: dict[str, Any] = {"pdev_path": disk.pdev_path, "vdev": disk.vdev}
        if disk.prefix == "phy" or disk.script:
            entry["backend"] = "phy"
        entry["format"] = disk.format
        if disk.script:
            entry["script"] = disk.script
        entry["readwrite"] = 1 if disk.is_writable else 0
        disks.append(entry)
    if disks:
        config["disks"] = disks
    nics = []
    for index, vif in enumerate(cfg.vifs):
        nic: dict[str, Any] = {"devid": index, "mac": vif.mac or _mac(view, index)}
        nic["bridge"] = vif.bridge or "xenbr0"
        nic["script"] = vif.script or "vif-bridge"
        nic["nictype"] = "vif"
        nics.append(nic)
    if nics:
        config["nics"] = nics
    config["on_reboot"] = "restart"
    config["on_soft_reset"] = "soft_reset"
    return config


def render_xl_list_long(views: Sequence[xensim.DomainView], node_record: dict[str, Any] | None = None) -> str:
    """`xl list -l`: a JSON array of {"domid", "config"}; yajl's final newline plus puts()'s (GRAMMAR.md §4.3)."""
    doc = [{"domid": v.domid, "config": _xl_config(v, node_record or {})} for v in views]
    return _yajl(doc) + "\n\n"


def _sxp_atom(value: Any) -> str:
    """xen/xend/sxp.py show(): numbers as str(), safe strings bare, others as a Python repr in single quotes."""
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.isalnum() or text == "" or all(c.isalnum() or c in ".-_:/~@" for c in text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sxp_flat(value: Any) -> str:
    if isinstance(value, list):
        return "(" + " ".join(_sxp_flat(v) for v in value) + ")"
    return _sxp_atom(value)


def _sxp_pretty(value: Any, column: int, width: int, out: list[str]) -> int:
    """xend's PrettyPrint.SXPPrettyPrinter: a list is flat when it fits the rest of the line; otherwise every
    element after the first goes on its own line, indented 4 from the list's "(", and ")" on a line of its own
    at the list's column. Returns the column after writing."""
    if not isinstance(value, list):
        text = _sxp_atom(value)
        out.append(text)
        return column + len(text)
    flat = _sxp_flat(value)
    if column + len(flat) <= width:
        out.append(flat)
        return column + len(flat)
    start = column
    out.append("(")
    column += 1
    for index, item in enumerate(value):
        if index:
            out.append("\n" + " " * (start + 4))
            column = start + 4
        column = _sxp_pretty(item, column, width, out)
    out.append("\n" + " " * start + ")")
    return start + 1


def render_sxp(value: Any, width: int = 80) -> str:
    """PrettyPrint.prettyprint of one SXP value (nested lists of atoms), with its trailing newline."""
    out: list[str] = []
    _sxp_pretty(value, 0, width, out)
    return "".join(out) + "\n"


def _xm_sxp(view: xensim.DomainView, now: float) -> list[Any]:
    """XendConfig.to_sxp for a running domain (key order of xm/list_long_xen4.0.1_dom0_and_domU.sxp)."""
    if view.config is None:
        return [
            "domain",
            ["domid", 0],
            ["cpu_weight", 256],
            ["cpu_cap", 0],
            ["bootloader", ""],
            ["on_crash", "restart"],
            ["uuid", view.uuid],
            ["bootloader_args", ""],
            ["vcpus", view.vcpus],
            ["name", "Domain-0"],
            ["cpus", [list(range(view.vcpus))]],
            ["on_reboot", "restart"],
            ["on_poweroff", "destroy"],
            ["maxmem", 16777215],
            ["memory", view.memory],
            ["shadow_memory", 0],
            ["features", ""],
            ["on_xend_start", "ignore"],
            ["on_xend_stop", "ignore"],
            ["cpu_time", round(view.cpu_time, 5)],
            ["online_vcpus", view.vcpus],
            ["image", ["linux", ["kernel", ""], ["superpages", 0], ["nomigrate", 0], ["tsc_mode", 0]]],
            ["status", view.xm_status],
            ["state", view.xm_state],
        ]
    cfg = view.config
    image: list[Any] = ["hvm" if cfg.builder == "hvm" else "linux", ["kernel", cfg.kernel]]
    if cfg.ramdisk:
        image.append(["ramdisk", cfg.ramdisk])
    if cfg.cmdline:
        image.append(["args", cfg.cmdline])
    image += [["superpages", 0], ["videoram", 4], ["pci", []], ["nomigrate", 0], ["tsc_mode", 0]]
    sxp: list[Any] = [
        "domain",
        ["domid", view.domid],
        ["cpu_weight", 256],
        ["cpu_cap", 0],
        ["bootloader", cfg.bootloader],
        ["on_crash", cfg.on_crash or "restart"],
        ["uuid", view.uuid],
        ["bootloader_args", ""],
        ["vcpus", cfg.vcpus],
        ["description", ""],
        ["name", view.name],
        ["cpus", [[]]],
        ["on_reboot", cfg.on_reboot],
        ["on_poweroff", cfg.on_poweroff],
        ["maxmem", cfg.maxmem],
        ["memory", view.memory],
        ["shadow_memory", 0],
        ["features", ""],
        ["on_xend_start", "ignore"],
        ["on_xend_stop", "ignore"],
        ["start_time", round(view.start_time, 2)],
        ["cpu_time", round(view.cpu_time, 9)],
        ["online_vcpus", cfg.vcpus],
        ["image", image],
        ["status", view.xm_status],
        ["state", view.xm_state],
        ["store_mfn", 8800000 + view.domid * 7],
        ["console_mfn", 8700000 + view.domid * 5],
    ]
    for index, vif in enumerate(cfg.vifs):
        sxp.append(
            [
                "device",
                [
                    "vif",
                    ["bridge", vif.bridge or "xenbr0"],
                    ["mac", vif.mac or _mac(view, index)],
                    ["script", "/etc/xen/scripts/" + (vif.script or "vif-bridge")],
                    ["uuid", view.uuid[:-4] + "%04x" % (0x1000 + index)],
                    ["backend", 0],
                ],
            ]
        )
    sxp.append(["device", ["console", ["protocol", "vt100"], ["location", 2], ["uuid", view.uuid[:-4] + "c0c0"]]])
    for index, disk in enumerate(cfg.disks):
        uname = f"{disk.prefix}:{disk.target}" if disk.prefix else disk.target
        sxp.append(
            [
                "device",
                [
                    "vbd",
                    ["protocol", "x86_64-abi"],
                    ["uuid", view.uuid[:-4] + "%04x" % (0x2000 + index)],
                    ["bootable", 1 if index == 0 else 0],
                    ["dev", f"{disk.vdev}:disk"],
                    ["uname", uname],
                    ["mode", disk.access],
                    ["backend", 0],
                    ["VDI", ""],
                ],
            ]
        )
    return sxp


def render_xm_list_long(views: Sequence[xensim.DomainView], now: float) -> str:
    """`xm list --long`: PrettyPrint.prettyprint of each domain's SXP (width 80), each ending in a newline."""
    return "".join(render_sxp(_xm_sxp(view, now)) for view in views)


def _info_lines(node: str, record: dict[str, Any], free_mib: int, *, xm: bool) -> list[tuple[str, str]]:
    total = int(record.get("memory_mib", 16384))
    cpus = int(record.get("cpus", 4))
    major, minor, extra = XM_XEN_VERSION if xm else XEN_VERSION
    dom0 = int(record.get("dom0_mib", 1024))
    lines = [
        ("host", node),
        ("release", "6.1.0-21-amd64" if not xm else "2.6.32-5-xen-amd64"),
        (
            "version",
            "#1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)" if not xm else "#1 SMP Mon Jan 16 16:04:25 UTC 2012",
        ),
        ("machine", "x86_64"),
        ("nr_cpus", str(cpus)),
    ]
    if not xm:
        lines.append(("max_cpu_id", str(cpus - 1)))
    lines += [("nr_nodes", "1"), ("cores_per_socket", str(cpus)), ("threads_per_core", "1")]
    lines.append(("cpu_mhz", "2800.000" if not xm else "2800"))
    lines.append(("hw_caps", "bfebfbff:20100800:00000000:00000940:0004e3bd:00000000:00000001:00000000"))
    lines.append(("virt_caps", " pv hvm hvm_directio pv_directio hap shadow" if not xm else ""))
    lines += [("total_memory", str(total)), ("free_memory", str(free_mib))]
    if not xm:
        lines += [
            ("sharing_freed_memory", "0"),
            ("sharing_used_memory", "0"),
            ("outstanding_claims", "0"),
            ("free_cpus", "0"),
        ]
    else:
        lines += [
            ("node_to_cpu", f"node0:0-{cpus - 1}"),
            ("node_to_memory", f"node0:{free_mib}"),
            ("node_to_dma32_mem", "node0:2985"),
            ("max_node_id", "0"),
        ]
    lines += [("xen_major", str(major)), ("xen_minor", str(minor)), ("xen_extra", extra)]
    if not xm:
        lines.append(("xen_version", f"{major}.{minor}{extra}"))
    lines += [
        (
            "xen_caps",
            "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"
            if not xm
            else "xen-3.0-x86_64 xen-3.0-x86_32p ",
        ),
        ("xen_scheduler", "credit2" if not xm else "credit"),
        ("xen_pagesize", "4096"),
        ("platform_params", "virt_start=0xffff800000000000"),
        ("xen_changeset", "" if not xm else "unavailable"),
        ("xen_commandline", f"placeholder dom0_mem={dom0}M,max:{dom0}M"),
        ("cc_compiler", "gcc (Debian 12.2.0-14) 12.2.0" if not xm else "gcc version 4.4.5 (Debian 4.4.5-8) "),
        ("cc_compile_by", "pkg-xen-devel" if not xm else "user"),
        ("cc_compile_domain", "lists.alioth.debian.org" if not xm else "example.com"),
        ("cc_compile_date", "Tue Apr 23 15:28:33 UTC 2024" if not xm else "Tue Jan  1 00:00:00 UTC 2013"),
    ]
    if not xm:
        lines.append(("build_id", "2b1f4b9a6e3c0e1a7f5d8c9b0a1e2f3d4c5b6a79"))
    lines.append(("xend_config_format", "4"))
    return lines


def render_xl_info(node: str, record: dict[str, Any], free_mib: int, key: str | None = None) -> str:
    """`xl info` ("%-23s: %s" lines); `xl info KEY` prints the value of every line whose text starts with KEY
    (maybe_printf in xl_info.c uses strncmp, so `xl info free` prints free_memory's and free_cpus' values)."""
    out = []
    for name, value in _info_lines(node, record, free_mib, xm=False):
        line = f"{name:<23}: {value}" if name != "virt_caps" else f"{name:<23}:{value}"
        if key is None:
            out.append(line)
        elif line.startswith(key) and ": " in line:
            out.append(line.split(": ", 1)[1] if name != "virt_caps" else line.split(":", 1)[1].lstrip())
    return "".join(o + "\n" for o in out)


def render_xm_info(node: str, record: dict[str, Any], free_mib: int) -> str:
    """`xm info`: '%-23s: %s' lines in the order of xm/info_xen4.0.1.txt."""
    return "".join(f"{name:<23}: {value}\n" for name, value in _info_lines(node, record, free_mib, xm=True))


def _uptime_string(seconds: int) -> str:
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days > 1:
        return f"{days} days, {hours:2d}:{minutes:02d}:{secs:02d}"
    if days == 1:
        return f"{days} day, {hours:2d}:{minutes:02d}:{secs:02d}"
    return f"{hours:2d}:{minutes:02d}:{secs:02d}"


def render_uptime(views: Sequence[xensim.DomainView], now: float, *, xm: bool) -> str:
    """`xl uptime` ("%-33s %4d %s") or `xm uptime` ("%-32s %5s " + upstring, header '%-33s %4s %s')."""
    lines = [f"{'Name':<33} {'ID':>4} Uptime"]
    for view in views:
        up = _uptime_string(round(now - view.start_time))
        lines.append(f"{view.name:<32} {view.domid:>5} {up}" if xm else f"{view.name:<33} {view.domid:4d} {up}")
    return "\n".join(lines) + "\n"


# -- the process side ------------------------------------------------------------------------------------------


class _Exit(Exception):
    """Leave the tool with this status (messages were already written)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Ctx:
    """One invocation: the node, the world, and streams; `read()` is a snapshot, `change()` a transaction."""

    def __init__(self, tool: str, out: TextIO, err: TextIO) -> None:
        self.tool = tool
        self.out = out
        self.err = err
        self.node = current_node()
        self.world = World()
        self._snapshot: State | None = None

    def read(self) -> State:
        if self._snapshot is None:
            self._snapshot = self.world.snapshot()
        return self._snapshot

    @contextmanager
    def change(self) -> Iterator[State]:
        self._snapshot = None
        with self.world.transaction() as state:
            yield state

    def fresh(self) -> State:
        self._snapshot = None
        return self.read()

    def now(self) -> float:
        return time.time()

    def say(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def warn(self, *lines: str) -> None:
        self.err.write("".join(line + "\n" for line in lines))
        self.err.flush()

    def start(self) -> None:
        """Node checks common to both tools; the hang fault."""
        if not self.world.exists:
            self.warn(f"xenha-sim: no world at {self.world.path} (run: xenha-sim init)")
            raise _Exit(1)
        state = self.read()
        record = node_state(state, self.node)
        if record is None:
            self.warn(f"xenha-sim: node {self.node} is not in the world at {self.world.path}")
            raise _Exit(1)
        if not record.get("alive"):
            self.warn(*_NO_XEN[self.tool])
            raise _Exit(1)
        hang = xensim.tool_hang(state, self.node, self.tool)
        if hang > 0:
            time.sleep(hang)
            self._snapshot = None


def _getopt(ctx: _Ctx, args: list[str], short: str, long: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
    try:
        return getopt.gnu_getopt(args, short, list(long))
    except getopt.GetoptError as exc:
        if ctx.tool == "xl":
            # xl_utils.c def_getopt: "option `%c' not supported." and exit(2)
            ctx.warn(f"option `{(exc.opt or '?')[:1]}' not supported.")
            raise _Exit(2) from None
        ctx.warn(f"Error: {exc.msg}")
        raise _Exit(1) from None


# -- xl --------------------------------------------------------------------------------------------------------

_LIBXL_DESTROY_FAILED = (
    "libxl: error: libxl_domain.c:1182:libxl__destroy_domid: Domain {d}:Non-existant domain",
    "libxl: error: libxl_domain.c:1136:domain_destroy_callback: Domain {d}:Unable to destroy guest",
    "libxl: error: libxl_domain.c:1063:domain_destroy_cb: Domain {d}:Destruction of domain failed",
)


def _xl_find(ctx: _Ctx, state: State, ident: str) -> xensim.DomainView:
    """xl_utils.c find_domain: a name that matches nothing is `NAME is an invalid domain identifier (rc=-6)`."""
    try:
        return xensim.find_domain(state, ctx.node, ident, ctx.now())
    except xensim.NoSuchDomain:
        if ident.isdigit():
            raise
        ctx.warn(f"{ident} is an invalid domain identifier (rc=-6)")
        raise _Exit(1) from None


def _xl_list(ctx: _Ctx, args: list[str]) -> int:
    opts, rest = _getopt(ctx, args, "lvhZcn", ["long", "verbose", "context", "cpupool", "numa", "help"])
    flags = {o for o, _ in opts}
    if "-h" in flags or "--help" in flags:
        ctx.say(_XL_HELP["list"])
        return 0
    state = ctx.read()
    now = ctx.now()
    if len(rest) > 1:
        ctx.say(_XL_HELP["list"])
        return 1
    if rest:
        try:
            views = [_xl_find(ctx, state, rest[0])]
        except xensim.NoSuchDomain:
            ctx.warn(f"Error: Domain '{rest[0]}' does not exist.")
            return 1
    else:
        views = xensim.list_domains(state, ctx.node, now)
    if flags & {"-l", "--long"}:
        ctx.say(render_xl_list_long(views, node_state(state, ctx.node)))
    else:
        verbose = bool(flags & {"-v", "--verbose"})
        context = bool(flags & {"-Z", "--context"})
        ctx.say(render_xl_list(views, verbose=verbose, context=context))
    return 0


def _xl_info(ctx: _Ctx, args: list[str]) -> int:
    opts, rest = _getopt(ctx, args, "nh", ["numa", "help"])
    state = ctx.read()
    record = node_state(state, ctx.node) or {}
    free = xensim.free_memory_mib(state, ctx.node, ctx.now())
    ctx.say(render_xl_info(ctx.node, record, free, rest[0] if rest and not opts else None))
    return 0


def _xl_domid(ctx: _Ctx, args: list[str]) -> int:
    if not args:
        ctx.warn("'xl domid' requires at least 1 argument.", "")
        return 2
    state = ctx.read()
    for view in xensim.list_domains(state, ctx.node, ctx.now()):
        if view.name == args[0]:
            ctx.say(f"{view.domid}\n")
            return 0
    ctx.warn(f"Can't get domid of domain name '{args[0]}', maybe this domain does not exist.")
    return 1


def _xl_domname(ctx: _Ctx, args: list[str]) -> int:
    if not args:
        ctx.warn("'xl domname' requires at least 1 argument.", "")
        return 2
    digits = ""
    for char in args[0]:
        if not char.isdigit():
            break
        digits += char
    if not digits:
        ctx.warn("Invalid domain id.", "")
        return 1
    state = ctx.read()
    for view in xensim.list_domains(state, ctx.node, ctx.now()):
        if view.domid == int(digits):
            ctx.say(f"{view.name}\n")
            return 0
    ctx.warn(f"Can't get domain name of domain id '{int(digits)}', maybe this domain does not exist.")
    return 1


def _xl_uptime(ctx: _Ctx, args: list[str]) -> int:
    _opts, rest = _getopt(ctx, args, "sh", ["help"])
    state = ctx.read()
    now = ctx.now()
    views = [_xl_find(ctx, state, d) for d in rest] if rest else xensim.list_domains(state, ctx.node, now)
    ctx.say(render_uptime(views, now, xm=False))
    return 0


def _read_config(ctx: _Ctx, path: str, overrides: list[str], *, lenient: bool) -> DomUConfig:
    return read_domu_config(path, overrides=overrides, lenient_overrides=lenient)


def _libxl_disk_failure(domid: int, devnum: int) -> list[str]:
    path = f"/local/domain/0/backend/vbd/{domid}/{devnum}"
    return [
        f"libxl: error: libxl_device.c:1109:device_backend_callback: Domain {domid}:unable to add device with path "
        f"{path}",
        f"libxl: error: libxl_create.c:1613:domcreate_launch_dm: Domain {domid}:unable to add disk devices",
        f"libxl: error: libxl_device.c:1109:device_backend_callback: Domain {domid}:unable to remove device with path "
        f"{path}",
        f"libxl: error: libxl_domain.c:1529:devices_destroy_cb: Domain {domid}:libxl__devices_destroy failed",
        *(line.format(d=domid) for line in _LIBXL_DESTROY_FAILED),
    ]


def _xl_create(ctx: _Ctx, args: list[str]) -> int:
    filename = None
    if args and not args[0].startswith("-") and "=" not in args[0]:
        filename, args = args[0], args[1:]
    opts, rest = _getopt(
        ctx, args, "Fnqf:pcdeVAh", ["dryrun", "quiet", "defconfig=", "vncviewer", "vncviewer-autopass", "help"]
    )
    flags = {o for o, _ in opts}
    for opt, value in opts:
        if opt in ("-f", "--defconfig"):
            filename = value
    overrides = []
    for arg in rest:
        if "=" in arg:
            overrides.append(arg)
        elif filename is None:
            filename = arg
        else:
            ctx.say(_XL_HELP["create"])
            return 2
    if filename is None:
        ctx.warn("Config file not specified and none in save file")
        return 6
    if not flags & {"-q", "--quiet"}:
        ctx.warn(f"Parsing config from {filename}")
    try:
        cfg = _read_config(ctx, filename, overrides, lenient=False)
    except OSError as exc:
        ctx.warn(f"Failed to read config file: {filename}: {exc.strerror}")
        return 3
    except DomUConfigError as exc:
        if exc.why == "Domain name must be specified.":
            ctx.warn(exc.why)
        else:
            ctx.warn(str(exc), "Failed to parse config: Invalid argument")
        return 1
    if flags & {"-n", "--dryrun"}:
        view = xensim.DomainView(
            domid=-1,
            name=cfg.name,
            memory=cfg.memory,
            maxmem=cfg.maxmem,
            vcpus=cfg.vcpus,
            run="paused",
            busy=False,
            cpu_time=0.0,
            uuid=cfg.uuid or "00000000-0000-0000-0000-000000000000",
            start_time=0.0,
            config=cfg,
        )
        ctx.say(_yajl(_xl_config(view, {})) + "\n")
        return 0
    now = ctx.now()
    try:
        with ctx.change() as state:
            xensim.create_domain(state, ctx.node, cfg, now, config_path=os.path.abspath(filename), paused="-p" in flags)
    except xensim.NameInUse as exc:
        d = exc.domid
        ctx.warn(
            f"libxl: error: libxl_domain.c:436:libxl__domain_rename: Domain {d}:domain with name "
            f'"{exc.name}" already exists.',
            f"libxl: error: libxl_create.c:662:libxl__domain_make: Domain {d}:cannot make domain: -6",
            *(line.format(d=d) for line in _LIBXL_DESTROY_FAILED),
        )
        return 3
    except xensim.NotEnoughMemory:
        ctx.warn("failed to free memory for the domain")
        return 3
    except xensim.DiskAttachFailed as exc:
        ctx.warn(*_libxl_disk_failure(exc.domid, exc.devnum))
        return 3
    return 0


def _xl_shutdown_or_reboot(ctx: _Ctx, args: list[str], *, reboot: bool) -> int:
    what = "reboot" if reboot else "shutdown"
    opts, rest = _getopt(ctx, args, "awFh", ["all", "wait", "help"])
    flags = {o for o, _ in opts}
    wait = bool(flags & {"-w", "--wait"})
    everything = bool(flags & {"-a", "--all"})
    if not rest and not everything:
        ctx.warn("You must specify -a or a domain id.", "")
        return 1
    now = ctx.now()
    with ctx.change() as state:
        if everything:
            targets = [v for v in xensim.list_domains(state, ctx.node, now) if v.domid != 0]
        else:
            targets = [_xl_find(ctx, state, rest[0])]
        for view in targets:
            ctx.warn(f"{'Rebooting' if reboot else 'Shutting down'} domain {view.domid}")
            if view.domid == 0:
                ctx.warn(f"{what} failed (rc=-3)")
                raise _Exit(1)
            xensim.request_shutdown(state, ctx.node, view.domid, now, reboot=reboot)
    if not wait:
        return 0
    # xl_vmcontrol.c wait_for_domain_deaths; LOG() writes to stderr
    ctx.warn(f"Waiting for {len(targets)} domains")
    pending = {v.domid for v in targets}
    while pending:
        time.sleep(POLL_S)
        state = ctx.fresh()
        present = {v.domid for v in xensim.list_domains(state, ctx.node, ctx.now())}
        for domid in sorted(pending - present):
            ctx.warn(f"Domain {domid} has been shut down, reason code {1 if reboot else 0}")
            pending.discard(domid)
    return 0


def _xl_destroy(ctx: _Ctx, args: list[str]) -> int:
    opts, rest = _getopt(ctx, args, "fh", ["help"])
    if not rest:
        ctx.warn("'xl destroy' requires at least 1 argument.", "")
        return 2
    now = ctx.now()
    with ctx.change() as state:
        try:
            view = _xl_find(ctx, state, rest[0])
        except xensim.NoSuchDomain:
            d = int(rest[0])
            ctx.warn(*(line.format(d=d) for line in _LIBXL_DESTROY_FAILED), "destroy failed (rc=-21)")
            return 1
        if view.domid == 0 and not opts:
            ctx.warn(
                "Not destroying domain 0; use -f to force.",
                "This can only be done when using a disaggregated hardware domain and toolstack.",
                "",
            )
            return 1
        if view.domid == 0:
            ctx.warn("destroy failed (rc=-3)")
            return 1
        xensim.destroy_domain(state, ctx.node, view.domid, now)
    return 0


def _xl_pause(ctx: _Ctx, args: list[str], *, pause: bool) -> int:
    if not args:
        ctx.warn(f"'xl {'pause' if pause else 'unpause'}' requires at least 1 argument.", "")
        return 2
    now = ctx.now()
    with ctx.change() as state:
        try:
            view = _xl_find(ctx, state, args[0])
        except xensim.NoSuchDomain:
            return 0  # libxl_domain_pause's error is ignored by xl (pause_domain returns void)
        if view.domid:
            (xensim.pause_domain if pause else xensim.unpause_domain)(state, ctx.node, view.domid, now)
    return 0


def _parse_mem_mib(text: str) -> int | None:
    units = {"": 1.0, "m": 1.0, "g": 1024.0, "k": 1 / 1024, "t": 1024.0 * 1024, "b": 1 / (1024 * 1024)}
    number = text.rstrip("kKmMgGtTbB")
    suffix = text[len(number) :].lower()
    try:
        return int(float(number) * units[suffix])
    except (ValueError, KeyError):
        return None


def _xl_mem_set(ctx: _Ctx, args: list[str]) -> int:
    if len(args) < 2:
        ctx.warn("'xl mem-set' requires at least 2 arguments.", "")
        return 2
    mib = _parse_mem_mib(args[1])
    if mib is None:
        ctx.warn(f"Invalid memory size: {args[1]}")
        return 1
    now = ctx.now()
    with ctx.change() as state:
        view = _xl_find(ctx, state, args[0])
        if view.domid:
            xensim.set_memory(state, ctx.node, view.domid, mib, now)
    return 0


def _xl_trigger(ctx: _Ctx, args: list[str]) -> int:
    if len(args) < 2:
        ctx.warn("'xl trigger' requires at least 2 arguments.", "")
        return 2
    now = ctx.now()
    with ctx.change() as state:
        view = _xl_find(ctx, state, args[0])
        if args[1] == "power" and view.domid:
            xensim.request_shutdown(state, ctx.node, view.domid, now)
        elif args[1] == "reset" and view.domid:
            xensim.request_shutdown(state, ctx.node, view.domid, now, reboot=True)
    return 0


_XL_MIGRATE_PREAMBLE = (
    "migration target: Ready to receive domain.",
    "Saving to migration stream new xl format (info 0x3/0x0/{n})",
    "Loading new save file <incoming migration stream> (new xl fmt info 0x3/0x0/{n})",
    " Savefile contains xl domain config in JSON format",
    "Parsing config from <saved>",
)


def _xl_transcript(mig: dict[str, Any]) -> tuple[list[str], int]:
    """What xl migrate prints after the preamble, for each outcome (xl_migrate.c migrate_domain/migrate_receive;
    the receiver runs under ssh, so its stderr is interleaved with the sender's)."""
    result = mig["result"]
    if result == "ok":
        return [
            "migration target: Transfer complete, requesting permission to start domain.",
            "migration sender: Target has acknowledged transfer.",
            "migration sender: Giving target permission to start.",
            "migration target: Got permission, starting domain.",
            "migration target: Domain started successsfully.",  # sic, upstream typo
            "migration sender: Target reports successful startup.",
            "Migration successful.",
        ], 0
    if result == "failed_disks":
        return [
            *_libxl_disk_failure(int(mig["dst_domid"]), int(mig.get("devnum", 51712)))[:2],
            "migration target: Domain creation failed (code -3).",
            "libxl: error: libxl_utils.c:510:libxl_read_exactly: file/stream truncated reading ready message "
            "from migration receiver stream",
            "Migration failed, resuming at sender.",
        ], 1
    if result == "failed_target":
        return [
            "migration target: Transfer complete, requesting permission to start domain.",
            "migration sender: Target has acknowledged transfer.",
            "migration sender: Giving target permission to start.",
            "migration target: Got permission, starting domain.",
            "migration target: Failure, destroying our copy.",
            "migration sender: Target reports startup failure (status code 3).",
            "migration target: Cleanup OK, granting sender permission to resume.",
            "migration sender: Trying to resume at our end.",
            "migration sender: Resumed OK.",
            "Migration failed due to problems at target.",
        ], 1
    if result in ("src_crashed", "aborted"):
        return [], 1
    # failed_transfer, failed_destroyed, dst_crashed: the stream breaks during the transfer
    return [
        "libxl: error: libxl_stream_read.c:853:libxl__xc_domain_restore_done: restoring domain: "
        "Connection reset by peer",
        "migration target: Domain creation failed (code -3).",
        "migration sender: libxl_domain_suspend failed (rc=-3)",
        "Migration failed, resuming at sender.",
    ], 1


def _xl_migrate(ctx: _Ctx, args: list[str]) -> int:
    opts, rest = _getopt(ctx, args, "FC:s:epDh", ["debug", "live", "help"])
    if {o for o, _ in opts} & {"-h", "--help"}:
        ctx.say(_XL_HELP["migrate"])
        return 0
    if len(rest) < 2:
        ctx.warn("'xl migrate' requires at least 2 arguments.", "")
        ctx.say(_XL_HELP["migrate"])
        return 2
    ident, host = rest[0], rest[1]
    now = ctx.now()
    try:
        with ctx.change() as state:
            view = _xl_find(ctx, state, ident)
            if view.domid == 0:
                raise xensim.XenSimError("domain 0 cannot be migrated")
            config_len = len(json.dumps(_xl_config(view, {}))) + 5
            mig = xensim.start_migration(state, ctx.node, view.domid, host, now, tool="xl", pid=os.getpid())
    except xensim.NoSuchDomain:
        ctx.warn(f"{ident} is an invalid domain identifier (rc=-6)")
        return 1
    except xensim.HostUnreachable as exc:
        if exc.reason == "unknown":
            ctx.warn(f"ssh: Could not resolve hostname {host}: Name or service not known")
        else:
            ctx.warn(f"ssh: connect to host {host} port 22: No route to host")
        ctx.warn(
            "libxl: error: libxl_utils.c:510:libxl_read_exactly: file/stream truncated reading banner from "
            "migration receiver stream",
            f"libxl: info: libxl_exec.c:118:libxl_report_child_exitstatus: migration transport process "
            f"[{os.getpid() + 1}] exited with error status 255",
        )
        return 1
    except xensim.NotEnoughMemory:
        ctx.warn(*(line.format(n=1364) for line in _XL_MIGRATE_PREAMBLE))
        ctx.warn(
            "failed to free memory for the domain",
            "migration target: Domain creation failed (code -3).",
            "migration sender: libxl_domain_suspend failed (rc=-3)",
            "Migration failed, resuming at sender.",
        )
        return 1
    except xensim.XenSimError:
        ctx.warn("migration sender: libxl_domain_suspend failed (rc=-3)", "Migration failed, resuming at sender.")
        return 1
    ctx.warn(*(line.format(n=config_len) for line in _XL_MIGRATE_PREAMBLE))
    final = _wait_migration(ctx, mig["id"])
    lines, code = _xl_transcript(final)
    ctx.warn(*lines)
    return code


def _wait_migration(ctx: _Ctx, mig_id: str) -> dict[str, Any]:
    """Block like the real tools until the migration has an outcome (advance() finishes it on time)."""
    while True:
        time.sleep(POLL_S)
        state = ctx.fresh()
        mig = xensim.migration(state, mig_id)
        if mig is None:
            return {"result": "aborted"}
        if mig["result"] is not None:
            return mig


_XL_HELP = {
    "list": (
        "Usage: xl [-v] list [options] [Domain]\n\nList information about all/some domains.\n\nOptions:\n\n"
        "-l, --long              Output all VM details\n"
        "-v, --verbose           Prints out UUIDs and security context\n"
        "-Z, --context           Prints out security context\n"
        "-c, --cpupool           Prints the cpupool the domain is in\n"
        "-n, --numa              Prints out NUMA node affinity\n"
    ),
    "create": (
        "Usage: xl [-vfF] create <ConfigFile> [options] [vars]\n\nCreate a domain from config file <filename>.\n\n"
        "Options:\n\n-h                      Print this help.\n"
        "-p                      Leave the domain paused after it is created.\n"
        "-F                      Run in foreground until death of the domain.\n"
        "-f FILE, --defconfig=FILE\n                     Use the given configuration file.\n"
        "-n, --dryrun            Dry run - prints the resulting configuration\n"
        "                         (deprecated in favour of global -N option).\n"
        "-q, --quiet             Quiet.\n"
    ),
    "migrate": (
        "Usage: xl [-vf] migrate <Domain> <host> [options]\n\n"
        "Migrate a domain to another host.\n\nOptions:\n\n"
        "-h              Print this help.\n"
        "-C <config>     Send <config> instead of config file from creation.\n"
        "-s <sshcommand> Use <sshcommand> instead of ssh.  String will be passed\n"
        "                to sh. If empty, run <host> instead of ssh <host> xl\n"
        "                migrate-receive [-d -e]\n"
        "-e              Do not wait in the background (on <host>) for the death\n"
        "                of the domain.\n"
        "--debug         Print huge (!) amount of debug during the migration process.\n"
        "-p              Do not unpause domain after migrating it.\n"
        "-D              Preserve the domain id\n"
    ),
}

_XL_COMMANDS: dict[str, Callable[[_Ctx, list[str]], int]] = {
    "list": _xl_list,
    "info": _xl_info,
    "domid": _xl_domid,
    "domname": _xl_domname,
    "uptime": _xl_uptime,
    "create": _xl_create,
    "shutdown": lambda ctx, a: _xl_shutdown_or_reboot(ctx, a, reboot=False),
    "reboot": lambda ctx, a: _xl_shutdown_or_reboot(ctx, a, reboot=True),
    "destroy": _xl_destroy,
    "pause": lambda ctx, a: _xl_pause(ctx, a, pause=True),
    "unpause": lambda ctx, a: _xl_pause(ctx, a, pause=False),
    "mem-set": _xl_mem_set,
    "trigger": _xl_trigger,
    "migrate": _xl_migrate,
}


def xl_main(argv: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The simulated `xl`: global options [-v] [-N] [-f] [-t] [-T] are accepted and ignored."""
    args = list(argv[1:])
    while args and args[0].startswith("-") and args[0] not in ("-h", "--help"):
        args.pop(0)
    ctx = _Ctx("xl", out or sys.stdout, err or sys.stderr)
    if not args or args[0] in ("-h", "--help", "help"):
        ctx.say("Usage xl [-vfNtT] <subcommand> [args]\n\nxl full list of subcommands:\n\n")
        return 0 if args else 1
    command = _XL_COMMANDS.get(args[0])
    if command is None:
        ctx.warn("command not implemented")
        return 1
    try:
        ctx.start()
        return command(ctx, args[1:])
    except _Exit as exc:
        return exc.code
    except xensim.NoSuchDomain as exc:
        ctx.warn(f"Error: Domain '{exc.ident}' does not exist.")
        return 1
    except xensim.XenSimError as exc:
        ctx.warn(f"xenha-sim: {exc}")
        return 1


# -- xm --------------------------------------------------------------------------------------------------------


class _XmFault(Exception):
    """An xmlrpclib.Fault from xend: printed as `Error: MESSAGE` and the command's usage, exit 1."""


def _xm_find(ctx: _Ctx, state: State, ident: str) -> xensim.DomainView:
    try:
        return xensim.find_domain(state, ctx.node, ident, ctx.now())
    except xensim.NoSuchDomain:
        # main.py _run_cmd: Fault ERROR_INVALID_DOMAIN -> err("Domain '%s' does not exist.") and exit(faultCode=3)
        ctx.warn(f"Error: Domain '{ident}' does not exist.")
        raise _Exit(3) from None


def _xm_list(ctx: _Ctx, args: list[str]) -> int:
    opts, rest = _getopt(ctx, args, "l", ["long", "label", "state="])
    flags = {o for o, _ in opts}
    state = ctx.read()
    now = ctx.now()
    views = [_xm_find(ctx, state, d) for d in rest] if rest else xensim.list_domains(state, ctx.node, now)
    for opt, value in opts:
        if opt == "--state":
            views = [v for v in views if value in (v.run, "running" if v.run == "running" else "")]
    if flags & {"-l", "--long"}:
        ctx.say(render_xm_list_long(views, now))
    else:
        ctx.say(render_xm_list(views))
    return 0


def _xm_info(ctx: _Ctx, args: list[str]) -> int:
    state = ctx.read()
    record = node_state(state, ctx.node) or {}
    ctx.say(render_xm_info(ctx.node, record, xensim.free_memory_mib(state, ctx.node, ctx.now())))
    return 0


def _xm_domid(ctx: _Ctx, args: list[str]) -> int:
    if len(args) != 1:
        ctx.warn("Error: 'xm domid' requires 1 argument.")
        return 1
    ctx.say(f"{_xm_find(ctx, ctx.read(), args[0]).domid}\n")
    return 0


def _xm_domname(ctx: _Ctx, args: list[str]) -> int:
    if len(args) != 1:
        ctx.warn("Error: 'xm domname' requires 1 argument.")
        return 1
    ctx.say(f"{_xm_find(ctx, ctx.read(), args[0]).name}\n")
    return 0


def _xm_uptime(ctx: _Ctx, args: list[str]) -> int:
    _opts, rest = _getopt(ctx, args, "s", ["short"])
    state = ctx.read()
    now = ctx.now()
    views = [_xm_find(ctx, state, d) for d in rest] if rest else xensim.list_domains(state, ctx.node, now)
    ctx.say(render_uptime(views, now, xm=True))
    return 0


def _xm_create(ctx: _Ctx, args: list[str]) -> int:
    paths = [a for a in args if not a.startswith("-") and "=" not in a]
    overrides = [a for a in args if "=" in a and not a.startswith("-")]
    if not paths:
        ctx.warn("Error: Unable to open config file: ")
        return 1
    path = paths[0]
    if not os.path.isabs(path) and not os.path.exists(path) and os.path.exists(os.path.join("/etc/xen", path)):
        path = os.path.join("/etc/xen", path)
    if not os.path.exists(path):
        ctx.warn(f"Error: Unable to open config file: {paths[0]}")
        return 1
    ctx.say(f'Using config file "{path}".\n')
    try:
        cfg = _read_config(ctx, path, overrides, lenient=True)
    except OSError as exc:
        ctx.warn(f"Error: {exc.strerror}")
        return 1
    except DomUConfigError as exc:
        ctx.warn(f"Error: invalid syntax ({os.path.basename(path)}, line {exc.line})")
        return 1
    now = ctx.now()
    try:
        with ctx.change() as state:
            rec = xensim.create_domain(state, ctx.node, cfg, now, config_path=path, paused="-p" in args)
    except xensim.NameInUse as exc:
        existing = xensim.find_domain(ctx.fresh(), ctx.node, exc.name, now)
        ctx.warn(f"Error: VM name '{exc.name}' already exists as domain {existing.domid}")
        return 1
    except xensim.NotEnoughMemory as exc:
        ctx.warn(
            f"Error: I need {exc.need_mib * 1024} KiB, but dom0_min_mem is {exc.dom0_mib * 1024} and shrinking to "
            f"{exc.dom0_mib * 1024} KiB would leave only {exc.free_mib * 1024} KiB free."
        )
        return 1
    except xensim.DiskAttachFailed as exc:
        ctx.warn(f"Error: Device {exc.devnum} (vbd) could not be connected. Backend device not found.")
        return 1
    ctx.say(f"Started domain {cfg.name} (id={rec['domid']})\n")
    return 0


def _xm_shutdown(ctx: _Ctx, args: list[str], *, reboot: bool) -> int:
    opts, rest = _getopt(ctx, args, "awRH", ["all", "wait", "reboot", "halt"])
    flags = {o for o, _ in opts}
    reboot = reboot or bool(flags & {"-R", "--reboot"})
    now = ctx.now()
    with ctx.change() as state:
        if flags & {"-a", "--all"}:
            targets = [v for v in xensim.list_domains(state, ctx.node, now) if v.domid != 0]
        elif rest:
            targets = [_xm_find(ctx, state, rest[0])]
        else:
            ctx.warn("Error: DOM not specified")
            return 1
        for view in targets:
            if view.domid:
                xensim.request_shutdown(state, ctx.node, view.domid, now, reboot=reboot)
    if not flags & {"-w", "--wait"} or reboot:
        return 0
    pending = {v.domid: v.name for v in targets if v.domid}
    while pending:
        time.sleep(POLL_S)
        present = {v.domid for v in xensim.list_domains(ctx.fresh(), ctx.node, ctx.now())}
        for domid in sorted(set(pending) - present):
            ctx.say(f"Domain {pending.pop(domid)} terminated\n")
    ctx.say("All domains terminated\n")
    return 0


def _xm_simple(ctx: _Ctx, args: list[str], action: Callable[[State, str, int, float], None], name: str) -> int:
    if len(args) != 1:
        ctx.warn(f"Error: 'xm {name}' requires 1 argument.")
        return 1
    now = ctx.now()
    with ctx.change() as state:
        view = _xm_find(ctx, state, args[0])
        if view.domid:
            action(state, ctx.node, view.domid, now)
    return 0


def _xm_migrate(ctx: _Ctx, args: list[str]) -> int:
    opts, rest = _getopt(ctx, args, "hlp:n:sc", ["help", "live", "port=", "node=", "ssl", "change_home_server"])
    flags = {o for o, _ in opts}
    if flags & {"-h", "--help"}:
        ctx.say(_XM_MIGRATE_USAGE)
        return 0
    if len(rest) != 2:
        ctx.warn("Error: Invalid number of arguments")
        ctx.say(_XM_MIGRATE_USAGE)
        return 1
    ident, host = rest
    now = ctx.now()
    try:
        with ctx.change() as state:
            view = _xm_find(ctx, state, ident)
            mig = xensim.start_migration(
                state, ctx.node, view.domid, host, now, tool="xm", live=bool(flags & {"-l", "--live"}), pid=os.getpid()
            )
    except xensim.HostUnreachable as exc:
        reason = {
            "unknown": "(-2, 'Name or service not known')",
            "down": "(113, 'No route to host')",
            "refused": "(111, 'Connection refused')",
        }[exc.reason]
        return _xm_fault(ctx, reason)
    except xensim.NotEnoughMemory as exc:
        dst = xensim.resolve_host(ctx.fresh(), host) or host
        return _xm_fault(
            ctx,
            f"I need {exc.need_mib * 1024} KiB, but dom0_min_mem is {exc.dom0_mib * 1024} and shrinking to "
            f"{exc.dom0_mib * 1024} KiB would leave only {exc.free_mib * 1024} KiB free. (from {dst})",
        )
    except xensim.XenSimError as exc:
        return _xm_fault(ctx, str(exc))
    final = _wait_migration(ctx, mig["id"])
    result = final["result"]
    if result == "ok":
        return 0
    if result == "failed_disks":
        devnum = final.get("devnum", 51712)
        return _xm_fault(
            ctx, f"Device {devnum} (vbd) could not be connected. Backend device not found. (from {final['dst']})"
        )
    if result in ("src_crashed", "aborted"):
        return 1
    return _xm_fault(ctx, f"/usr/lib/xen/bin/xc_save 27 {final.get('src_domid', 0)} 0 0 1 failed")


def _xm_fault(ctx: _Ctx, message: str) -> int:
    ctx.warn(f"Error: {message}")
    ctx.say(_XM_MIGRATE_USAGE)
    return 1


def _xm_mem_set(ctx: _Ctx, args: list[str]) -> int:
    if len(args) != 2:
        ctx.warn("Error: 'xm mem-set' requires 2 arguments.")
        return 1
    mib = _parse_mem_mib(args[1]) or 0
    return _xm_simple(ctx, args[:1], lambda s, n, d, t: xensim.set_memory(s, n, d, mib, t), "mem-set")


def _xm_trigger(ctx: _Ctx, args: list[str]) -> int:
    if len(args) < 2:
        ctx.warn("Error: 'xm trigger' requires between 2 and 3 arguments.")
        return 1
    if args[1] == "power":
        return _xm_simple(ctx, args[:1], xensim.request_shutdown, "trigger")
    return 0


_XM_COMMANDS: dict[str, Callable[[_Ctx, list[str]], int]] = {
    "list": _xm_list,
    "info": _xm_info,
    "domid": _xm_domid,
    "domname": _xm_domname,
    "uptime": _xm_uptime,
    "create": _xm_create,
    "shutdown": lambda ctx, a: _xm_shutdown(ctx, a, reboot=False),
    "reboot": lambda ctx, a: _xm_shutdown(ctx, a, reboot=True),
    "destroy": lambda ctx, a: _xm_simple(ctx, a, xensim.destroy_domain, "destroy"),
    "pause": lambda ctx, a: _xm_simple(ctx, a, xensim.pause_domain, "pause"),
    "unpause": lambda ctx, a: _xm_simple(ctx, a, xensim.unpause_domain, "unpause"),
    "mem-set": _xm_mem_set,
    "trigger": _xm_trigger,
    "migrate": _xm_migrate,
}


def xm_main(argv: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The simulated `xm` (needs xend: state["nodes"][n]["xend_running"])."""
    args = list(argv[1:])
    ctx = _Ctx("xm", out or sys.stdout, err or sys.stderr)
    if not args:
        ctx.say("Usage: xm <subcommand> [args]\n\nControl, list, and manipulate Xen guest instances.\n")
        return 1
    command = _XM_COMMANDS.get(args[0])
    if command is None:
        ctx.warn(f"Error: Subcommand {args[0]} not found!")
        return 1
    try:
        ctx.start()
        record = node_state(ctx.read(), ctx.node) or {}
        if not record.get("xend_running", True):
            # main.py _run_cmd: socket.error on xend's unix socket (reconstructed/xm/error_xend_not_running_stderr.txt)
            ctx.warn(*_NO_XEN["xm"])
            return 1
        return command(ctx, args[1:])
    except _Exit as exc:
        return exc.code
    except xensim.XenSimError as exc:
        ctx.warn(f"Error: {exc}")
        return 1

# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The xl/xm toolstack as xenha drives it: a client per tool with parsed listings, and the choice of toolstack.

A monitor's plain answers (a listing, or "no such domain") are read by the agent with xenha.xen.listing alone; this
module is imported for everything else: choosing a toolstack, and a listing that failed, hung or is not a listing
(read_listing reads the outcome the monitor already has, and open_toolstack carries on from it). Imports only os,
xenha.errors, xenha.record and xenha.xen.listing; a failure is classified by xenha.xen.messages, imported then.
"""

from __future__ import annotations

import os

from xenha.errors import DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.files import read_bytes
from xenha.record import record
from xenha.xen.listing import Toolstack, find_domain, parse_xl_list, parse_xm_list, says_no_such_domain

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

    from xenha.run import Deadline, Result, Runner
    from xenha.xen.listing import Domain

    Tool = Literal["xl", "xm"]
else:
    Tool = str  # for `from xenha.xen.ctl import Tool` at run time; mypy sees the Literal

__all__ = [
    "CAPABILITIES",
    "NoHypervisor",
    "Tool",
    "ToolstackTimedOut",
    "ToolstackUnusable",
    "XenCtl",
    "find_domain",
    "has_hypervisor",
    "is_control_domain",
    "open_toolstack",
    "read_listing",
]

# Where xenfs tells a dom0 from anything else (see is_control_domain); Paths.xen_capabilities overrides it.
CAPABILITIES = "/proc/xen/capabilities"
_CAPABILITIES_MAX = 4096


class ToolstackUnusable(ToolError):
    """Raised when a toolstack answers, but not as a working one (xend down, libxl cannot start)."""


class ToolstackTimedOut(ToolError):
    """Raised when a toolstack does not answer within the op's time budget: that tool's failure, never a fallback."""


class NoHypervisor(NotInstalled):
    """Raised when this node runs no Xen hypervisor (or is not its dom0): no domain can run here at all.

    A NotInstalled, as a missing kernel interface is: a probe answers not running, stop has nothing to stop,
    start fails here and the cluster places the domain elsewhere.
    """


def is_control_domain(capabilities: str) -> bool:
    """True when /proc/xen/capabilities text says this kernel runs as Xen's control domain (dom0).

    Linux drivers/xen/xenfs/super.c capabilities_read: `control_d\\n` in the initial domain, empty in any other
    guest; without Xen there is no such file. Xen's own start-up scripts decide the same way: `grep -q control_d
    /proc/xen/capabilities` (tools/hotplug/Linux/init.d/xencommons:40 at RELEASE-4.1.0, when xend was current;
    systemd/xendomains.service.in:13 today).
    """
    return "control_d" in capabilities.split()


def has_hypervisor(path: str = CAPABILITIES) -> bool | None:
    """True when `path` says this is a Xen dom0, False when it says not or when no Xen made its directory, else None.

    Linux creates /proc/xen only when it runs on Xen (drivers/xen/xenbus/xenbus_probe.c xenbus_init, the xenfs mount
    point); the directory without the file is xenfs not mounted, which says nothing: None, as for an unreadable file.
    procfs, read with xenha.files (bounded, never blocking: a FIFO or a directory put there is refused, None).
    """
    try:
        text = read_bytes(path, limit=_CAPABILITIES_MAX).decode("ascii", "replace")
    except (FileNotFoundError, NotADirectoryError):
        return None if os.path.isdir(os.path.dirname(path) or ".") else False
    except OSError:
        return None
    return is_control_domain(text)


@record
class XenCtl:
    """One toolstack and the runner that calls it; `deadline` bounds calls that bring none; `who` starts messages.

    `capabilities` is the /proc/xen/capabilities to consult when the tool's failure may mean there is no Xen here.
    """

    tool: Tool
    run: Runner
    deadline: Deadline
    who: str = ""
    capabilities: str = CAPABILITIES

    def call(self, *args: str, deadline: Deadline | None = None) -> Result:
        return self.run([self.tool, *args], deadline or self.deadline)

    def list(self, deadline: Deadline | None = None, *, name: str | None = None) -> tuple[Domain, ...]:
        """`xl list [NAME]` parsed; () when NAME does not exist.

        Raises ToolstackTimedOut when it does not answer in time, NoHypervisor when there is no Xen here, and
        ToolstackUnusable when it answers with any other failure.
        """
        try:
            result = self.call("list", *(() if name is None else (name,)), deadline=deadline)
        except DeadlineExceeded:
            prefix = f"{self.who}: " if self.who else ""
            raise ToolstackTimedOut(f"{prefix}{self.tool} list: no time left to run it") from None
        return read_listing(self.tool, result, name=name, who=self.who, capabilities=self.capabilities)

    def domain(self, name: str, deadline: Deadline | None = None) -> Domain | None:
        """The domain listed under exactly `name` (one `xl list NAME`), or None."""
        return find_domain(self.list(deadline, name=name), name)


def read_listing(
    tool: Tool, result: Result, *, name: str | None = None, who: str = "", capabilities: str = CAPABILITIES
) -> tuple[Domain, ...]:
    """What one finished `TOOL list [NAME]` says: its domains, () when NAME does not exist.

    Raises ToolstackTimedOut when it did not answer in time, NoHypervisor when there is no Xen here (the tool says
    so and xenfs at `capabilities` does not contradict it), ToolstackUnusable for any other failure, ParseError for
    output that is not a listing.
    """
    prefix = f"{who}: " if who else ""
    if result.timed_out:
        raise ToolstackTimedOut(
            f"{prefix}{tool} list timed out after {result.elapsed:.1f}s",
            argv=result.argv,
            rc=result.rc,
            stderr=result.stderr,
        )
    if result.ok:
        return (parse_xl_list if tool == Toolstack.XL else parse_xm_list)(result.stdout)
    if name is not None and says_no_such_domain(result.stderr):
        return ()
    from xenha.xen.messages import XenErrorKind, parse_xen_error

    error = parse_xen_error(result.stderr)
    if error.kind is XenErrorKind.DOMAIN_NOT_FOUND and name is not None:
        return ()
    message = error.message or result.fail_reason
    if _no_hypervisor(
        tool, error.kind is XenErrorKind.NO_HYPERVISOR, error.kind is XenErrorKind.XEND_NOT_RUNNING, capabilities
    ):
        raise NoHypervisor(f"{prefix}no Xen hypervisor here ({tool} list: {message})")
    raise ToolstackUnusable(
        f"{prefix}{tool} list failed: {message}", argv=result.argv, rc=result.rc, stderr=result.stderr
    )


def _no_hypervisor(tool: Tool, no_privcmd: bool, xend_down: bool, capabilities: str) -> bool:
    """Whether a failure means no Xen here: the tool says so and xenfs does not contradict it.

    xl (and Xen 3.3's xm) fail to open the privcmd device (messages._NO_PRIVCMD). xm from Xen 3.4 on only says that
    xend is unreachable, as it is on a dom0 whose xend was stopped; there xenfs decides. Either way, a capabilities
    file that says dom0, or that cannot be read, leaves it a broken toolstack: a guest may run.
    """
    if no_privcmd or (xend_down and tool == Toolstack.XM):
        return has_hypervisor(capabilities) is False
    return False


def open_toolstack(
    order: Sequence[Tool],
    run: Runner,
    deadline: Deadline,
    *,
    name: str | None = None,
    who: str = "",
    capabilities: str = CAPABILITIES,
    first: Result | XenhaError | None = None,
) -> tuple[XenCtl, tuple[Domain, ...]]:
    """The first toolstack of `order` that answers, with its first listing (`xl list [NAME]`): the listing is the probe.

    As /etc/init.d/xendomains does: on a Xen 4.1-4.4 host with xend running, xl refuses to work and xm answers.
    The next tool is tried only when one is not installed, or answered in time but unusably: a tool that hangs
    raises ToolstackTimedOut at once (the next one would find the budget spent and take the blame); NoHypervisor is
    raised at once too, as no tool can work then. Raises NotInstalled when none is installed, else the first failure
    of one that is. `first` is what the listing with `order[0]` gave when the caller ran it already (its Result, or
    the NotInstalled or DeadlineExceeded the runner raised): it is read, not run again.
    """
    failure: XenhaError | None = None
    for index, tool in enumerate(order):
        if failure is not None and not isinstance(failure, NotInstalled) and deadline.expired:
            break  # no time left to try another: the failure so far is the answer
        xen = XenCtl(tool, run, deadline, who, capabilities)
        try:
            if index == 0 and first is not None:
                return xen, _read_first(xen, first, name)
            return xen, xen.list(name=name)
        except NoHypervisor:
            raise
        except NotInstalled as exc:
            failure = failure or exc
        except (ToolstackUnusable, ParseError) as exc:
            failure = exc if failure is None or isinstance(failure, NotInstalled) else failure
    if failure is None or (isinstance(failure, NotInstalled) and len(order) > 1):
        prefix = f"{who}: " if who else ""
        raise NotInstalled(f"{prefix}neither xl nor xm is installed")
    raise failure


def _read_first(xen: XenCtl, first: Result | XenhaError, name: str | None) -> tuple[Domain, ...]:
    """XenCtl.list for a listing already run: `first` is its Result or what the runner raised."""
    if isinstance(first, DeadlineExceeded):
        prefix = f"{xen.who}: " if xen.who else ""
        raise ToolstackTimedOut(f"{prefix}{xen.tool} list: no time left to run it") from None
    if isinstance(first, XenhaError):
        raise first
    return read_listing(xen.tool, first, name=name, who=xen.who, capabilities=xen.capabilities)

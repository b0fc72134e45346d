"""The xl/xm toolstack as xenha drives it: a client per tool with parsed listings, and the choice of toolstack."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from xenha.errors import DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.run import Deadline, Result, Runner
from xenha.xen.listing import Domain, XenErrorKind, is_control_domain, parse_xen_error, parse_xl_list, parse_xm_list

__all__ = [
    "CAPABILITIES",
    "NoHypervisor",
    "Tool",
    "ToolstackTimedOut",
    "ToolstackUnusable",
    "XenCtl",
    "find_domain",
    "has_hypervisor",
    "open_toolstack",
]

Tool = Literal["xl", "xm"]

# Where xenfs tells a dom0 from anything else (see xen.is_control_domain); Paths.xen_capabilities overrides it.
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


def has_hypervisor(path: str = CAPABILITIES) -> bool | None:
    """True when `path` says this is a Xen dom0, False when it says not or when no Xen made its directory, else None.

    Linux creates /proc/xen only when it runs on Xen (drivers/xen/xenbus/xenbus_probe.c xenbus_init, the xenfs mount
    point); the directory without the file is xenfs not mounted, which says nothing: None, as for an unreadable file.
    procfs, so the read is bounded and never blocks (O_NONBLOCK: a FIFO put there must not hang an op).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None if os.path.isdir(os.path.dirname(path) or ".") else False
    except OSError:
        return None
    try:
        text = os.read(fd, _CAPABILITIES_MAX).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    return is_control_domain(text)


@dataclass(frozen=True, slots=True)
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
        prefix = f"{self.who}: " if self.who else ""
        try:
            result = self.call("list", *(() if name is None else (name,)), deadline=deadline)
        except DeadlineExceeded:
            raise ToolstackTimedOut(f"{prefix}{self.tool} list: no time left to run it") from None
        if result.timed_out:
            raise ToolstackTimedOut(
                f"{prefix}{self.tool} list timed out after {result.elapsed:.1f}s",
                argv=result.argv,
                rc=result.rc,
                stderr=result.stderr,
            )
        if result.ok:
            return (parse_xl_list if self.tool == "xl" else parse_xm_list)(result.stdout)
        error = parse_xen_error(result.stderr)
        if error.kind is XenErrorKind.DOMAIN_NOT_FOUND and name is not None:
            return ()
        message = error.message or result.fail_reason
        if self._no_hypervisor(error.kind):
            raise NoHypervisor(f"{prefix}no Xen hypervisor here ({self.tool} list: {message})")
        raise ToolstackUnusable(
            f"{prefix}{self.tool} list failed: {message}", argv=result.argv, rc=result.rc, stderr=result.stderr
        )

    def _no_hypervisor(self, kind: XenErrorKind) -> bool:
        """Whether a failure of kind `kind` means no Xen here: the tool says so and xenfs does not contradict it.

        xl (and Xen 3.3's xm) fail to open the privcmd device (xen.py, _NO_PRIVCMD). xm from Xen 3.4 on only says
        that xend is unreachable, as it is on a dom0 whose xend was stopped; there xenfs decides. Either way, a
        capabilities file that says dom0, or that cannot be read, leaves it a broken toolstack: a guest may run.
        """
        if kind is XenErrorKind.NO_HYPERVISOR or (kind is XenErrorKind.XEND_NOT_RUNNING and self.tool == "xm"):
            return has_hypervisor(self.capabilities) is False
        return False

    def domain(self, name: str, deadline: Deadline | None = None) -> Domain | None:
        """The domain listed under exactly `name` (one `xl list NAME`), or None."""
        return find_domain(self.list(deadline, name=name), name)


def find_domain(domains: Sequence[Domain], name: str) -> Domain | None:
    """The domain listed under exactly `name`."""
    return next((d for d in domains if d.name == name), None)


def open_toolstack(
    order: Sequence[Tool],
    run: Runner,
    deadline: Deadline,
    *,
    name: str | None = None,
    who: str = "",
    capabilities: str = CAPABILITIES,
) -> tuple[XenCtl, tuple[Domain, ...]]:
    """The first toolstack of `order` that answers, with its first listing (`xl list [NAME]`): the listing is the probe.

    As /etc/init.d/xendomains does: on a Xen 4.1-4.4 host with xend running, xl refuses to work and xm answers.
    The next tool is tried only when one is not installed, or answered in time but unusably: a tool that hangs
    raises ToolstackTimedOut at once (the next one would find the budget spent and take the blame); NoHypervisor is
    raised at once too, as no tool can work then. Raises NotInstalled when none is installed, else the first failure
    of one that is.
    """
    failure: XenhaError | None = None
    for tool in order:
        if failure is not None and not isinstance(failure, NotInstalled) and deadline.expired:
            break  # no time left to try another: the failure so far is the answer
        xen = XenCtl(tool, run, deadline, who, capabilities)
        try:
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

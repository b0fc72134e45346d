"""The xl/xm toolstack as xenha drives it: a client per tool with parsed listings, and the choice of toolstack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from xenha.errors import DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.run import Deadline, Result, Runner
from xenha.xen import Domain, XenErrorKind, parse_xen_error, parse_xl_list, parse_xm_list

__all__ = ["Tool", "ToolstackTimedOut", "ToolstackUnusable", "XenCtl", "find_domain", "open_toolstack"]

Tool = Literal["xl", "xm"]


class ToolstackUnusable(ToolError):
    """Raised when a toolstack answers, but not as a working one (xend down, libxl cannot start)."""


class ToolstackTimedOut(ToolError):
    """Raised when a toolstack does not answer within the op's time budget: that tool's failure, never a fallback."""


@dataclass(frozen=True, slots=True)
class XenCtl:
    """One toolstack and the runner that calls it; `deadline` bounds calls that bring none; `who` starts messages."""

    tool: Tool
    run: Runner
    deadline: Deadline
    who: str = ""

    def call(self, *args: str, deadline: Deadline | None = None) -> Result:
        return self.run([self.tool, *args], deadline or self.deadline)

    def list(self, deadline: Deadline | None = None, *, name: str | None = None) -> tuple[Domain, ...]:
        """`xl list [NAME]` parsed; () when NAME does not exist.

        Raises ToolstackTimedOut when it does not answer in time, ToolstackUnusable when it answers with a failure.
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
        raise ToolstackUnusable(
            f"{prefix}{self.tool} list failed: {message}", argv=result.argv, rc=result.rc, stderr=result.stderr
        )

    def domain(self, name: str, deadline: Deadline | None = None) -> Domain | None:
        """The domain listed under exactly `name` (one `xl list NAME`), or None."""
        return find_domain(self.list(deadline, name=name), name)


def find_domain(domains: Sequence[Domain], name: str) -> Domain | None:
    """The domain listed under exactly `name`."""
    return next((d for d in domains if d.name == name), None)


def open_toolstack(
    order: Sequence[Tool], run: Runner, deadline: Deadline, *, name: str | None = None, who: str = ""
) -> tuple[XenCtl, tuple[Domain, ...]]:
    """The first toolstack of `order` that answers, with its first listing (`xl list [NAME]`): the listing is the probe.

    As /etc/init.d/xendomains does: on a Xen 4.1-4.4 host with xend running, xl refuses to work and xm answers.
    The next tool is tried only when one is not installed, or answered in time but unusably: a tool that hangs
    raises ToolstackTimedOut at once (the next one would find the budget spent and take the blame). Raises
    NotInstalled when none is installed, else the first failure of one that is.
    """
    failure: XenhaError | None = None
    for tool in order:
        if failure is not None and not isinstance(failure, NotInstalled) and deadline.expired:
            break  # no time left to try another: the failure so far is the answer
        xen = XenCtl(tool, run, deadline, who)
        try:
            return xen, xen.list(name=name)
        except NotInstalled as exc:
            failure = failure or exc
        except (ToolstackUnusable, ParseError) as exc:
            failure = exc if failure is None or isinstance(failure, NotInstalled) else failure
    if failure is None or (isinstance(failure, NotInstalled) and len(order) > 1):
        prefix = f"{who}: " if who else ""
        raise NotInstalled(f"{prefix}neither xl nor xm is installed")
    raise failure

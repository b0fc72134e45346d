# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The OCF agent protocol: exit codes, the environment of one action, the exit reason, and `run()`.

On every operation's path: imports only os, sys and xenha's errors, record and log at run time.
"""

from __future__ import annotations

import os
import sys

from xenha.errors import ConfigError, NotInstalled, XenhaError
from xenha.ocf import log
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import ClassVar, NoReturn, TextIO

    from xenha.ocf.decl import Agent

    Handler = Callable[["Env"], "ExitCode"]

__all__ = [
    "PLACEHOLDER_INSTANCE",
    "Env",
    "ExitCode",
    "about_the_resource",
    "clip_reason",
    "emit_exit_reason",
    "finish",
    "run",
]

_log = log.get("xenha.ocf")


class ExitCode(int):
    """OCF return codes as named ints: the values of pacemaker's `enum ocf_exitcode` (include/crm/common/results.h)
    and resource-agents' ocf-returncodes, pinned by a test. `str()` gives pacemaker's text."""

    SUCCESS: ClassVar[ExitCode]
    ERR_GENERIC: ClassVar[ExitCode]
    ERR_ARGS: ClassVar[ExitCode]
    ERR_UNIMPLEMENTED: ClassVar[ExitCode]
    ERR_PERM: ClassVar[ExitCode]
    ERR_INSTALLED: ClassVar[ExitCode]
    ERR_CONFIGURED: ClassVar[ExitCode]
    NOT_RUNNING: ClassVar[ExitCode]
    RUNNING_PROMOTED: ClassVar[ExitCode]
    FAILED_PROMOTED: ClassVar[ExitCode]
    DEGRADED: ClassVar[ExitCode]
    DEGRADED_PROMOTED: ClassVar[ExitCode]

    def __str__(self) -> str:
        return EXIT_TEXT.get(int(self), "unknown")

    def __repr__(self) -> str:
        return f"ExitCode({int(self)}: {EXIT_TEXT.get(int(self), 'unknown')})"


EXIT_TEXT = {
    0: "success",
    1: "generic error",
    2: "invalid arguments",
    3: "unimplemented action",
    4: "insufficient privileges",
    5: "not installed",
    6: "not configured",
    7: "not running",
    8: "running (promoted)",
    9: "failed (promoted)",
    190: "running (degraded)",
    191: "running (promoted, degraded)",
}
for _name, _value in (
    ("SUCCESS", 0),
    ("ERR_GENERIC", 1),
    ("ERR_ARGS", 2),
    ("ERR_UNIMPLEMENTED", 3),
    ("ERR_PERM", 4),
    ("ERR_INSTALLED", 5),
    ("ERR_CONFIGURED", 6),
    ("NOT_RUNNING", 7),
    ("RUNNING_PROMOTED", 8),
    ("FAILED_PROMOTED", 9),
    ("DEGRADED", 190),
    ("DEGRADED_PROMOTED", 191),
):
    setattr(ExitCode, _name, ExitCode(_value))

# Pacemaker keeps at most 128 bytes of an exit reason, terminator included (EXIT_REASON_MAX_LEN in
# lib/services/services_linux.c, parse_exit_reason_from_stderr): ours stay under that.
REASON_MAX_BYTES = 127


def clip_reason(text: str) -> str:
    """`text` on one line, cut to REASON_MAX_BYTES bytes of UTF-8 (ending in "..." when cut)."""
    one_line = " ".join(text.split())
    data = one_line.encode("utf-8", "backslashreplace")  # an undecodable byte (a surrogate) is shown, not raised
    if len(data) <= REASON_MAX_BYTES:
        return data.decode()
    return data[: REASON_MAX_BYTES - 3].decode("utf-8", "ignore") + "..."


# The OCF_RESOURCE_INSTANCE crm_resource passes when it runs an agent for no resource (--validate, --force-*).
PLACEHOLDER_INSTANCE = "test"

_RESKEY = "OCF_RESKEY_"
_META = "OCF_RESKEY_CRM_meta_"


# Bounds on what Pacemaker passes in meta attributes: an op timeout or interval longer than a week, or a number of
# clone instances above a thousand, is a typo, and must not reach float() or time arithmetic (10^309 ms overflowed
# every deadline computation and made stop fail).
_MAX_MS = 7 * 24 * 3600 * 1000
_MAX_COUNT = 1000


def _int(text: str | None, default: int, high: int = _MAX_COUNT) -> int:
    """A non-negative decimal of at most 12 ASCII digits, clamped to `high`; anything else is `default`."""
    word = (text or "").strip()
    if not word or len(word) > 12 or not (word.isascii() and word.isdigit()):
        return default
    return min(int(word), high)


@record
class Env:
    """What one invocation was asked to do; built from a mapping, never from os.environ directly."""

    action: str
    instance: str
    resource_type: str
    params: Mapping[str, str]
    meta: Mapping[str, str]
    interval_ms: int
    timeout_ms: int | None
    check_level: int
    environ: Mapping[str, str]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], argv: Sequence[str], *, resource_type: str) -> Env:
        """Read OCF_RESKEY_*, OCF_RESKEY_CRM_meta_* and friends; argv[1] is the action, extra words are ignored."""
        params = {k[len(_RESKEY) :]: v for k, v in environ.items() if k.startswith(_RESKEY) and not k.startswith(_META)}
        meta = {k[len(_META) :]: v for k, v in environ.items() if k.startswith(_META)}
        timeout = _int(meta.get("timeout"), 0, _MAX_MS)
        return cls(
            action=argv[1] if len(argv) > 1 else "",
            instance=environ.get("OCF_RESOURCE_INSTANCE", "") or resource_type,
            resource_type=environ.get("OCF_RESOURCE_TYPE", "") or resource_type,
            params=params,
            meta=meta,
            interval_ms=_int(meta.get("interval"), 0, _MAX_MS),
            timeout_ms=timeout if timeout > 0 else None,
            check_level=_int(environ.get("OCF_CHECK_LEVEL") or params.get("OCF_CHECK_LEVEL"), 0, 100),
            environ=environ,
        )

    @property
    def instance_is_placeholder(self) -> bool:
        """Whether the instance name is Pacemaker's made-up one: `crm_resource --validate` without a resource (what
        `pcs ... --agent-validation` runs) calls the agent's validate-all as instance `test` (crm_resource_runtime.c,
        cli_resource_execute_from_params), with no node; the cluster always passes CRM_meta_on_node."""
        return self.instance == PLACEHOLDER_INSTANCE and "on_node" not in self.meta

    @property
    def is_probe(self) -> bool:
        """A one-shot monitor (interval 0), which must answer NOT_RUNNING rather than fail on a bare node."""
        return self.action == "monitor" and self.interval_ms == 0

    @property
    def base_instance(self) -> str:
        """The instance without the clone suffix (`drbd_r0:1` -> `drbd_r0`)."""
        return self.instance.split(":", 1)[0]

    @property
    def node(self) -> str:
        """This node's cluster name: CRM_meta_on_node, else the kernel's node name."""
        return self.meta.get("on_node") or os.uname().nodename

    def meta_flag(self, *names: str) -> bool | None:
        """The first present boolean meta attribute among `names` (e.g. `promoted_max`, `master_max`)."""
        for name in names:
            if name in self.meta:
                return self.meta[name].strip().lower() in ("true", "yes", "1", "on", "y")
        return None

    def meta_int(self, *names: str, default: int) -> int:
        """The first present integer meta attribute among `names`, pacemaker's current name first."""
        for name in names:
            if name in self.meta:
                return _int(self.meta[name], default)
        return default

    @property
    def clone_max(self) -> int:
        return self.meta_int("clone_max", default=1)

    @property
    def clone_node_max(self) -> int:
        return self.meta_int("clone_node_max", default=1)

    @property
    def promoted_max(self) -> int:
        return self.meta_int("promoted_max", "master_max", default=1)

    @property
    def promoted_node_max(self) -> int:
        return self.meta_int("promoted_node_max", "master_node_max", default=1)


def about_the_resource(reason: str, env: Env) -> str:
    """`reason` without a leading object that names Pacemaker's placeholder instance ("domU test: config ..." ->
    "config ..."), so that pcs and crm_resource --validate show what is wrong with the parameters, not with "test".

    Agents name the object a message is about first (`domU NAME: ...`), and fall back to the instance for the name
    when nothing else gives one; a placeholder instance names nothing, so that prefix is dropped.
    """
    if not env.instance_is_placeholder:
        return reason
    head, sep, rest = reason.partition(": ")
    words = head.split(" ")
    if sep and rest.strip() and len(words) <= 2 and words[-1] == env.instance:
        return rest
    return reason


def emit_exit_reason(reason: str, environ: Mapping[str, str], stream: TextIO) -> None:
    """Write the one `ocf-exit-reason:` line, on one line and clipped to REASON_MAX_BYTES; pacemaker keeps only the
    last one, up to its newline."""
    prefix = environ.get("OCF_EXIT_REASON_PREFIX", "ocf-exit-reason:").encode("utf-8", "backslashreplace").decode()
    stream.write(f"{prefix}{clip_reason(reason)}\n")  # pacemaker keeps 128 bytes: every agent's reason is clipped here
    stream.flush()


def _usage(agent: Agent) -> str:
    extra = {"reload-agent"} if "reload" in agent.action_names else set()
    names = sorted(agent.action_names | extra | {"meta-data", "usage"})
    return f"usage: {agent.name} {{{'|'.join(names)}}}\n"


def run(
    agent: Agent,
    handlers: Mapping[str, Handler],
    environ: Mapping[str, str],
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Dispatch one action and map every outcome to an OCF exit code; the only place that does so."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    # One copy: os.environ decodes every key and value on each access, and raises twice for each absent one.
    environ = dict(environ)
    env = Env.from_environ(environ, argv, resource_type=agent.name)
    if env.action == "meta-data":
        from xenha.ocf.metadata import caller_speaks_ocf_1_1, render_metadata  # lxml is imported only here

        out.write(render_metadata(agent, ocf_1_1=caller_speaks_ocf_1_1(environ)))
        return ExitCode.SUCCESS
    if env.action in ("usage", "help", "--help", "-h"):
        out.write(_usage(agent))
        return ExitCode.SUCCESS

    log.configure(agent.name, "" if env.instance_is_placeholder else env.instance, env.action, environ, stderr=err)
    if not env.action:
        err.write(_usage(agent))
        emit_exit_reason(f"{agent.name}: no action given", environ, err)
        return ExitCode.ERR_ARGS
    handler = handlers.get(env.action)
    if handler is None and env.action == "reload-agent":  # OCF 1.1's name for the reload of reloadable parameters
        handler = handlers.get("reload")
    if handler is None:
        err.write(_usage(agent))
        emit_exit_reason(f"{agent.name}: action {env.action!r} is not implemented", environ, err)
        return ExitCode.ERR_UNIMPLEMENTED
    _log.debug(
        "%s: %s begins (interval %d ms, timeout %s ms)", env.instance, env.action, env.interval_ms, env.timeout_ms
    )
    try:
        code = handler(env)
    except (ConfigError, NotInstalled) as exc:
        code = _invalid_environment(env, exc, environ, err)
    except XenhaError as exc:
        _log.debug("%s: %s failed", env.instance, env.action, exc_info=True)
        reason = about_the_resource(exc.reason, env)
        _log.error("%s", reason)
        emit_exit_reason(reason, environ, err)
        code = ExitCode(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 -- the agent must answer with an OCF code, never a traceback
        _log.debug("%s: %s crashed", env.instance, env.action, exc_info=True)
        reason = f"{env.action}: internal error: {type(exc).__name__}: {exc}"
        _log.error("%s", reason)
        emit_exit_reason(reason, environ, err)
        code = ExitCode.ERR_GENERIC
    _log.debug("%s: %s returns %d (%s)", env.instance, env.action, code, code)
    return int(code)


def _invalid_environment(
    env: Env, exc: ConfigError | NotInstalled, environ: Mapping[str, str], err: TextIO
) -> ExitCode:
    """What ocf-rarun does with an invalid configuration: stop succeeds, a probe finds nothing, the rest fail."""
    reason = about_the_resource(exc.reason, env)
    if env.action == "stop":
        _log.warning("%s; stop has nothing it can act on, reporting stopped", reason)
        return ExitCode.SUCCESS
    if env.is_probe:
        _log.info("%s; probe reports not running", reason)
        return ExitCode.NOT_RUNNING
    _log.error("%s", reason)
    emit_exit_reason(reason, environ, err)
    if env.action == "monitor":
        return ExitCode.ERR_GENERIC
    return ExitCode(exc.exit_code)


def finish(code: int) -> NoReturn:
    """End the agent process with `code`: flush stdout and stderr, then leave without the interpreter's teardown.

    Only launchers call this, after main() returned. Tearing down the modules and objects of a monitor costs about
    a sixth of its CPU and does nothing an agent needs: every file it writes is closed by then, and its children
    are waited for. When something registered an exit hook (logging does, to flush its handlers) or flushing
    fails, the ordinary `sys.exit` runs instead, hooks and error reports included.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 -- reported by the ordinary exit below, as before
        sys.exit(code)
    import atexit

    if atexit._ncallbacks():
        sys.exit(code)
    os._exit(code)

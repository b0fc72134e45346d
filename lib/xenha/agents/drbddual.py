# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""DrbdDualPrimary: a DRBD resource as a promotable clone, with one or two Primaries, on DRBD 8.4 and 9.

The monitor is the hot path: on DRBD 8.4 it reads /proc/drbd and the agent's state files and starts no process
unless the promotion score changes; on DRBD 9 it runs one `drbdsetup status --json`. It imports neither `re`
(8.4) nor logging, enum, dataclasses or typing; drbdadm's error transcripts, `sh-dev` and `dump` are read by
xenha.drbd.adm, imported on the paths that need it (a failure, the first look after boot, promote/validate).
"""

from __future__ import annotations

import os
import sys

from xenha import __version__, ocf
from xenha.drbd.model import SPLIT_BRAIN_MARK, ConnState, DiskState, DrbdVolume
from xenha.errors import ConfigError, DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.ocf import Env, ExitCode, log
from xenha.ocf.context import Context, bind_handlers
from xenha.ocf.params import name_problem, read_bool, read_int, read_path, read_str
from xenha.record import record
from xenha.run import poll_until

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Final, Literal

    from xenha.drbd.cmd import Drbd8Commands
    from xenha.ocf import Handler
    from xenha.run import Result, Runner

    HealthName = Literal["stopped", "secondary", "primary"]

__all__ = [
    "AGENT",
    "HANDLERS",
    "Health",
    "Observation",
    "Params",
    "Reported",
    "check_clone_meta",
    "dual_primary_refusal",
    "main",
    "monitor_code",
    "notify_summary",
    "params_from",
    "promotion_score",
]

_log = log.get("xenha.agents.drbddual")

_LONGDESC = """\
Manages one DRBD resource as a promotable clone: started means the resource is up (attached and
connecting) as Secondary, promoted means Primary. With promoted-max=2 both nodes may be Primary at once,
which live migration of Xen guests between the two nodes needs; the DRBD configuration must then say
"allow-two-primaries" in its net section, and the agent refuses (not configured) when it does not.

Safety: the agent never promotes data that is not UpToDate, and with require_uptodate_peer_for_dual (the
default) a second Primary is allowed only while the two nodes are Connected with UpToDate/UpToDate disks,
never while resyncing. After a split-brain DRBD goes StandAlone; the monitor then reports it degraded (190
on a Secondary, 191 on a Primary) with an exit reason that names the resource and the command that resolves
it, and logs the whole procedure at error level on every monitor. It is not a failure: each side still serves
its own UpToDate data to the guests running on it, and a failure would make Pacemaker stop those guests and
DRBD for nothing. Nothing crosses the split: a split-brain Secondary loses its promotion score and is never
promoted, and XenDomainHA refuses to start or live-migrate a guest onto a resource under an unresolved
split-brain. This lasts, across restarts of the resource, until it is connected to its peer again; the mark
(under /run/xenha/DrbdDualPrimary) then goes by itself. The agent never resolves a split-brain itself (no
--discard-my-data): which changes to drop is the administrator's decision (see the README, "Split-brain").
With promoted-max=1 a promotion while the peer is Primary is refused: Pacemaker demotes before it promotes
elsewhere, so that is a cluster split, and allow-two-primaries (for live migration) would not stop it.

Backing disk failure: with on-io-error detach a Primary becomes Diskless and goes on serving the peer's
UpToDate data over the link. It keeps the lowest of the promotion_scores (1 by default) instead of
losing it: it stays Primary (Pacemaker cannot demote it under a running guest without stopping the guest),
reports 191, and guests colocated with the Promoted role prefer the node that holds the data, so Pacemaker
live-migrates them there. A Diskless Secondary gets no score.

Stop never fails because of the configuration: when drbdadm cannot read it, the resource is taken down
with "drbdsetup down" directly (a failed stop gets the node fenced).

Versions: DRBD 8.4 and 9 are detected from /proc/drbd, never configured. On 8.4 the monitor reads
/proc/drbd and starts no process unless the promotion score changes; on 9 it runs one
"drbdsetup status --json".

Monitor codes: 0 Secondary, 8 Primary, 7 stopped, 9 failed Primary (no access to UpToDate data),
190/191 degraded (working but not redundant: peer disconnected, resyncing, peer disk not UpToDate, Diskless
Primary, split-brain).

Promotion scores are written with "crm_attribute --promotion" under the operation's remaining time, only
when the value changes (the last value is remembered under /run/xenha), on every probe (Pacemaker forgets
transient attributes when it restarts), and removed when stopping.

Clone settings checked: clone-max at most 2 on 8.4, promoted-max at most 2, clone-node-max 1, notify=true.
Both the current (promoted-max, promoted/unpromoted notify variables) and the deprecated (master-max,
master/slave) names are read.

Ordering: DrbdDualPrimary is promoted before the XenDomainHA guests whose disks it backs start or migrate
(order promote then start, colocation with the Promoted role)."""

AGENT = ocf.Agent(
    name="DrbdDualPrimary",
    version=__version__,
    shortdesc="DRBD resource as a promotable clone (single or dual Primary)",
    longdesc=_LONGDESC,
    parameters=(
        ocf.Parameter(
            "drbd_resource",
            "DRBD resource name",
            "The name of the DRBD resource as defined in the DRBD configuration (the word after "
            '"resource"). Example: r0.',
            required=True,
            unique=True,
        ),
        ocf.Parameter(
            "drbdconf",
            "DRBD configuration file",
            "Full path of the DRBD configuration file, passed to drbdadm with -c. Default: /etc/drbd.conf.",
            default="/etc/drbd.conf",
        ),
        ocf.Parameter(
            "promotion_scores",
            "promotion scores by data state",
            "Four integers separated by spaces, the promotion score written for: (1) UpToDate data while "
            "Primary or with the peer's state known; (2) UpToDate data with the peer unknown; (3) Consistent "
            "data; (4) Outdated data. A Primary whose disk failed (Diskless, serving the peer's UpToDate "
            "data) gets the lowest of the four. Inconsistent data, a Diskless Secondary or a failed disk get no "
            "score (the attribute is "
            "removed), so Pacemaker never promotes them. Like ocf:linbit:drbd's adjust_master_score. "
            'Default: "10000 1000 5 1".',
            default="10000 1000 5 1",
            reloadable=True,
        ),
        ocf.Parameter(
            "require_uptodate_peer_for_dual",
            "second Primary only with UpToDate peer",
            "When true (the default), promotion while the peer is already Primary is refused unless the "
            "resource is Connected and both disks are UpToDate. Resyncing is not enough: a guest migrated "
            "during a resync could read blocks the target does not have yet.",
            type="boolean",
            default="true",
            reloadable=True,
        ),
        ocf.Parameter(
            "stop_outdates_secondary",
            "mark our data Outdated on stop when the peer is Primary",
            "When true (the default), stopping a Secondary whose peer is Primary marks the local data "
            'Outdated ("drbdadm outdate") after taking it down, so that it can never be promoted later '
            "in place of the newer data on the peer.",
            type="boolean",
            default="true",
            reloadable=True,
        ),
        ocf.Parameter(
            "wfc_timeout",
            "seconds to wait for the peer at start",
            "How long start waits, at most, for the connection to the peer after bringing the resource up, "
            "in seconds. The wait is capped so that start keeps what the rest of it needs (writing the "
            "promotion score with crm_attribute): it ends no later than the start timeout less a reserve of "
            "a fifth of the time left, at least 5 s (half the time left if that is less). A peer still "
            "missing then is no failure: start succeeds degraded. 0 returns as soon as the disk is attached. "
            "The resource is usable without the peer; the monitor reports it degraded until they connect. "
            "Default: 10.",
            type="integer",
            default="10",
            reloadable=True,
        ),
    ),
    actions=(
        ocf.Action("start", 240),
        ocf.Action("stop", 100),
        ocf.Action("promote", 90),
        ocf.Action("demote", 90),
        ocf.Action("notify", 90),
        ocf.Action("monitor", 20, interval=29, role="Promoted"),
        ocf.Action("monitor", 20, interval=31, role="Unpromoted"),
        ocf.Action("reload", 30),
        ocf.Action("validate-all", 30),
        ocf.Action("meta-data", 5),
    ),
)

_DEFAULT_CONF = "/etc/drbd.conf"
_DEFAULT_SCORES = (10000, 1000, 5, 1)
_MAX_NAME = 64  # drbd.h: DRBD's resource names are at most 63 characters, ours at most 64 as before
_MAX_SCORE_DIGITS = 9  # pacemaker's INFINITY is 1000000
_MAX_WFC = 86400


@record
class Params:
    """The validated parameters of one instance."""

    resource: str
    drbdconf: str
    scores: tuple[int, int, int, int]
    require_uptodate_peer_for_dual: bool
    stop_outdates_secondary: bool
    wfc_timeout: int

    @property
    def conf_arg(self) -> str | None:
        """The -c argument, omitted for the default so drbdadm's own search order applies."""
        return None if self.drbdconf == _DEFAULT_CONF else self.drbdconf


def params_from(env: Env) -> Params:
    """Validate the parameters; the only place that raises ConfigError for them.

    On stop only drbd_resource matters: a bad optional parameter falls back to its default, so that a typo
    in promotion_scores can never leave a resource up that pacemaker believes stopped.
    """
    if env.action == "stop":
        return _lenient(env.params)
    return _strict(env.params)


def _lenient(params: Mapping[str, str]) -> Params:
    try:
        return _strict(params)
    except ConfigError as exc:
        resource = read_str(params, "drbd_resource")
        if not resource or _resource_problem(resource) is not None:
            raise
        _log.warning("%s; stopping with default settings", exc.reason)
        try:
            conf = read_path(params, "drbdconf", _DEFAULT_CONF)
        except ConfigError:
            conf = _DEFAULT_CONF
        return _strict({"drbd_resource": resource, "drbdconf": conf})


def _resource_problem(resource: str) -> str | None:
    """Why `resource` cannot be a DRBD resource name here: letters, digits and `_.+-`, a letter or digit first."""
    problem = name_problem(resource, allowed="+", max_len=_MAX_NAME)
    if problem is None and not (resource[0].isascii() and resource[0].isalnum()):
        problem = "must start with a letter or digit"
    return problem


def _scores(params: Mapping[str, str]) -> tuple[int, int, int, int]:
    words = params.get("promotion_scores", "").split()
    if not words:
        return _DEFAULT_SCORES
    for word in words:
        digits = word[1:] if word.startswith("-") else word
        if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_SCORE_DIGITS:
            break
    else:
        if len(words) == 4:
            return (int(words[0]), int(words[1]), int(words[2]), int(words[3]))
    raise ConfigError(f"promotion_scores {' '.join(words)!r}: need four integers")


def _strict(params: Mapping[str, str]) -> Params:
    resource = read_str(params, "drbd_resource")
    if not resource:
        raise ConfigError("drbd_resource is required")
    problem = _resource_problem(resource)
    if problem is not None:
        raise ConfigError(f"drbd_resource {resource!r}: not a valid DRBD resource name ({problem})")
    return Params(
        resource=resource,
        drbdconf=read_path(params, "drbdconf", _DEFAULT_CONF),
        scores=_scores(params),
        require_uptodate_peer_for_dual=read_bool(params, "require_uptodate_peer_for_dual", True),
        stop_outdates_secondary=read_bool(params, "stop_outdates_secondary", True),
        wfc_timeout=read_int(params, "wfc_timeout", 10, low=0, high=_MAX_WFC),
    )


# --- what the state means: pure decisions ---------------------------------------------------------------


class Health:
    """What one look at the resource concluded."""

    STOPPED: Final = "stopped"
    SECONDARY: Final = "secondary"
    PRIMARY: Final = "primary"


@record
class Observation:
    """The resource's volumes on this node, with the conclusions the handlers act on."""

    volumes: tuple[DrbdVolume, ...]
    major: int | None

    @property
    def health(self) -> HealthName:
        live = [v for v in self.volumes if v.is_configured]
        if not live:
            return Health.STOPPED
        return Health.PRIMARY if any(v.is_primary for v in live) else Health.SECONDARY

    @property
    def is_redundant(self) -> bool:
        """Connected, not resyncing, and both disks of every volume UpToDate (a Diskless Primary is not)."""
        return bool(self.volumes) and all(
            v.cstate == ConnState.CONNECTED and v.disk == DiskState.UPTODATE and v.peer_disk == DiskState.UPTODATE
            for v in self.volumes
        )

    @property
    def has_good_data(self) -> bool:
        """This node can serve UpToDate data for every volume (its own or, diskless, the peer's)."""
        return all(
            v.disk == DiskState.UPTODATE or (v.is_connected and v.peer_disk == DiskState.UPTODATE) for v in self.volumes
        )

    @property
    def is_connected(self) -> bool:
        """At least one volume talks to its peer."""
        return any(v.is_connected for v in self.volumes)

    @property
    def is_standalone(self) -> bool:
        return any(v.cstate == ConnState.STANDALONE for v in self.volumes)

    @property
    def is_networked(self) -> bool:
        """Some volume has its network configured: any connection state but StandAlone.

        That includes the states of a lost peer, WFConnection on 8.4 and Connecting on 9 (drbd9.volumes gives the
        connection state when there is no peer device), so a link cut is never mistaken for an admin's disconnect.
        """
        return any(v.cstate != ConnState.STANDALONE for v in self.volumes)

    @property
    def has_peer(self) -> bool:
        """The resource has a peer to connect to: always on 8.4 (drbd.conf needs two hosts), a connection on 9."""
        if self.major is None or self.major < 9:
            return bool(self.volumes)
        return any(v.peer is not None for v in self.volumes)

    @property
    def peer_is_primary(self) -> bool:
        return any(v.is_peer_primary for v in self.volumes)

    @property
    def cstates(self) -> str:
        return ",".join(sorted({v.cstate for v in self.volumes}))

    @property
    def disks(self) -> str:
        return ",".join(sorted({f"{v.disk}/{v.peer_disk or '-'}" for v in self.volumes}))


def promotion_score(obs: Observation, scores: tuple[int, int, int, int]) -> int | None:
    """The score for the current data state, None when this node must not be promoted.

    A Primary whose backing disk failed (Diskless, still connected to an UpToDate peer) keeps the lowest score
    rather than none: it must stay Primary while a guest runs on it, because Pacemaker cannot demote it under a
    running guest without stopping the guest first. The low score makes guests colocated with the Promoted role
    prefer the node that holds the data, so Pacemaker live-migrates them there before anything is demoted.
    """
    if obs.health == Health.STOPPED:
        return None
    result: int | None = scores[0]
    for vol in obs.volumes:
        peer_known = vol.is_connected or vol.peer_disk not in (None, DiskState.DUNKNOWN)
        if vol.disk == DiskState.UPTODATE:
            score = scores[0] if vol.is_primary or peer_known else scores[1]
        elif vol.disk == DiskState.CONSISTENT:
            score = scores[2]
        elif vol.disk == DiskState.OUTDATED:
            score = scores[3]
        elif is_diskless_primary_with_good_peer(vol):
            score = min(scores)  # the lowest, whatever order the admin wrote them in
        else:
            return None
        result = score if result is None else min(result, score)
    return result


def is_diskless_primary_with_good_peer(vol: DrbdVolume) -> bool:
    """A Primary that lost its backing disk and serves the peer's UpToDate data over the link."""
    return (
        vol.is_primary and vol.disk == DiskState.DISKLESS and vol.is_connected and vol.peer_disk == DiskState.UPTODATE
    )


def monitor_code(
    obs: Observation, *, was_connected: bool = False, split_brain: bool = False
) -> tuple[ExitCode, str | None]:
    """The monitor's exit code, and the reason to report (a failure's, or a split-brain's).

    A split-brain is StandAlone after the network was configured (`was_connected`), or what the caller found
    (`split_brain`, which also covers one seen earlier and not resolved since: see _unresolved_split_brain).
    It is reported as degraded (190/191) with its reason, never as a failure: each side still serves its own
    UpToDate data to the guests running on it, and a failure would make Pacemaker demote and stop DRBD, and
    stop those guests first, for nothing (stopping DRBD resolves nothing; the admin's decision does).
    """
    if obs.health == Health.STOPPED:
        return ExitCode.NOT_RUNNING, None
    promoted = obs.health == Health.PRIMARY
    if (obs.is_standalone and was_connected) or split_brain:
        code = ExitCode.DEGRADED_PROMOTED if promoted else ExitCode.DEGRADED
        return code, "split-brain"
    if promoted and not obs.has_good_data:
        return ExitCode.FAILED_PROMOTED, "no access to UpToDate data"
    if not obs.is_redundant:
        return (ExitCode.DEGRADED_PROMOTED if promoted else ExitCode.DEGRADED), None
    return (ExitCode.RUNNING_PROMOTED if promoted else ExitCode.SUCCESS), None


def dual_primary_refusal(obs: Observation, p: Params) -> str | None:
    """Why promoting now would be unsafe, or None; short, since it becomes the exit reason."""
    for vol in obs.volumes:
        if vol.disk != DiskState.UPTODATE:
            return f"local disk is {vol.disk}, not UpToDate"
    if obs.peer_is_primary and p.require_uptodate_peer_for_dual and not obs.is_redundant:
        return f"second Primary needs Connected UpToDate/UpToDate, have {obs.cstates} {obs.disks}"
    return None


def check_clone_meta(env: Env, obs_major: int | None, resource: str) -> None:
    """Refuse clone settings this agent cannot run safely; both current and deprecated names are read."""
    if "clone_max" not in env.meta:
        return  # not run by pacemaker as a clone (an admin's direct call, or ocf-tester)
    who = f"drbd {resource}"
    if obs_major is not None and obs_major < 9 and env.clone_max > 2:
        raise ConfigError(f"{who}: clone-max={env.clone_max}: DRBD 8.4 has at most two nodes")
    if env.promoted_max > 2:
        raise ConfigError(f"{who}: promoted-max={env.promoted_max}: at most two Primaries are supported")
    if env.clone_node_max != 1:
        raise ConfigError(f"{who}: clone-node-max={env.clone_node_max}: must be 1")
    if env.meta_flag("notify") is False:
        raise ConfigError(f"{who}: notify=false: the clone needs notify=true")


class Reported(XenhaError):
    """A handler's answer with an exit reason: ocf.run logs the reason, prints it as the one `ocf-exit-reason:`
    line (last on stderr) and exits with `exit_code`, which may be a failure or a degraded state (190/191)."""

    def __init__(self, reason: str, exit_code: int = ExitCode.ERR_GENERIC) -> None:
        super().__init__(ocf.clip_reason(reason))
        self.exit_code = exit_code


def tool_failure(what: str, res: Result) -> ToolError:
    """A ToolError for a failed drbdadm/drbdsetup: DRBD's own failure line (`(-2) Need access to UpToDate data`),
    not the last stderr line, which is drbdadm's useless `Command '...' terminated with exit code N`."""
    detail = res.fail_reason
    if not res.timed_out and res.signal is None:
        detail = _drbd_reason(res) or detail
    return ToolError(ocf.clip_reason(f"{what}: {detail}"), argv=res.argv, rc=res.rc, stderr=res.stderr)


def _drbd_reason(res: Result) -> str:
    """The first failure line of a drbdadm/drbdsetup stderr transcript, else its first other line, else ""."""
    from xenha.drbd.adm import parse_drbdadm_error

    return parse_drbdadm_error(res.stderr).reason


def _split_brain_reason(p: Params) -> str:
    """The exit reason: pacemaker keeps at most 128 bytes of it, so the full commands go to the log instead."""
    return f"drbd {p.resource}: split-brain; resolve: drbdadm connect --discard-my-data"


def _split_brain_help(p: Params) -> str:
    return (
        f"drbd {p.resource}: split-brain: DRBD dropped the connection and will not reconnect by itself. On the node "
        f"whose changes are to be discarded run 'drbdadm secondary {p.resource}' and 'drbdadm connect "
        f"--discard-my-data {p.resource}', then 'drbdadm connect {p.resource}' on the other node"
    )


# --- reading the state, and what the agent remembers of it (under /run/xenha/DrbdDualPrimary) ----------------


def _commands(p: Params, major: int | None) -> Drbd8Commands:
    """The command generator for the running DRBD major version (imported when a command is about to run)."""
    from xenha.drbd.cmd import commands_for

    return commands_for(major, p.resource, p.conf_arg)


def _minors(p: Params, ctx: Context, major: int | None) -> tuple[int, ...]:
    """The resource's minors: cached in the state dir, else from `drbdadm sh-dev` (once per boot)."""
    key = f"minors.{p.resource}"
    cached = ctx.state.read(key)
    if cached:
        return tuple(int(m) for m in cached.split())
    from xenha.drbd.adm import parse_sh_dev

    res = ctx.run(_commands(p, major).sh_dev(), ctx.deadline)
    if not res.ok:
        detail = _drbd_reason(res) or res.fail_reason
        raise ConfigError(ocf.clip_reason(f"drbd {p.resource}: drbdadm sh-dev failed: {detail}"))
    try:
        minors = parse_sh_dev(res.stdout, p.resource)
    except ParseError as exc:
        raise ConfigError(ocf.clip_reason(f"drbd {p.resource}: drbdadm sh-dev named no device: {exc.why}")) from None
    _remember(ctx, key, " ".join(str(m) for m in minors))
    return minors


def _remember(ctx: Context, key: str, value: str) -> None:
    """Write state file `key`; a directory we must not trust or a full /run costs memory, never the answer.

    start refuses an untrusted state directory up front (ctx.state.ensure); a monitor, a probe or a stop whose
    directory went bad answers from what it finds, as on a fresh boot, and says why once (StateDir logs it).
    """
    if not ctx.state.is_trusted():  # said once already
        return
    try:
        ctx.state.write(key, value)
    except (XenhaError, OSError) as exc:
        reason = exc.reason if isinstance(exc, XenhaError) else f"{ctx.state.path}: {exc.strerror}"
        _log.warning("%s: %s not remembered", reason, key)


def observe(p: Params, ctx: Context) -> Observation:
    """Read the resource's state: /proc/drbd on 8.x (no fork), `drbdsetup status --json` on 9."""
    from xenha.drbd.proc import read_proc_drbd

    try:
        proc = read_proc_drbd(ctx.paths.proc_drbd)
    except FileNotFoundError:
        return Observation(volumes=(), major=None)  # the module is not loaded: nothing runs
    if proc.is_drbd9:
        from xenha.drbd import status9

        res = ctx.run(_commands(p, 9).status_json(), ctx.deadline)
        if not res.ok:
            if "No such resource" in res.stderr or res.rc == 10:
                return Observation(volumes=(), major=9)
            raise tool_failure(f"drbd {p.resource}: drbdsetup status", res)
        return Observation(volumes=status9.volumes(status9.parse_status_json(res.stdout)), major=9)
    if not any(d.is_configured for d in proc.devices):
        return Observation(volumes=(), major=proc.major)
    minors = set(_minors(p, ctx, proc.major))
    vols = tuple(d.volume() for d in proc.devices if d.minor in minors)
    return Observation(volumes=vols, major=proc.major)


def _set_score(p: Params, ctx: Context, score: int | None) -> None:
    """Write the promotion score; a recurring monitor only when it changed since we last wrote it (remembered
    under /run), every other action (a probe too) always.

    Pacemaker forgets a node's transient attributes when that node's controller restarts or leaves, while /run
    remembers what we wrote: an action is rare and Pacemaker is acting on the resource, so it always writes (a
    demote that found its score "unchanged" once left a rejoined node unpromotable). The memory is per clone
    (`drbd_r0`, not `drbd_r0:1`), as the attribute is: crm_attribute --promotion names it after
    OCF_RESOURCE_INSTANCE without the instance number.
    """
    key = f"score.{ctx.env.base_instance}"
    last = ctx.state.read(key)
    wanted = "" if score is None else str(score)
    if last is not None and last == wanted and ctx.env.action == "monitor" and not ctx.env.is_probe:
        return
    argv = ["crm_attribute", "--promotion", "--lifetime", "reboot"]
    # A negative score (promotion_scores may hold them) is joined to its option, never an argv element of its own
    # where an option can stand; positive ones keep the separate form every crm_attribute release reads.
    argv += (
        ["--delete"] if score is None else [f"--update={wanted}"] if wanted.startswith("-") else ["--update", wanted]
    )
    try:
        res = ctx.run(argv, ctx.deadline)
    except NotInstalled:
        _log.warning("drbd %s: crm_attribute not installed; promotion score %s not written", p.resource, wanted)
        return
    if res.ok:
        _remember(ctx, key, wanted)
        # a probe's rewrite of an unchanged score is routine: a healthy probe logs nothing at info
        _log.log(
            log.INFO if last != wanted else log.DEBUG, "drbd %s: promotion score %s", p.resource, wanted or "removed"
        )
    else:
        ctx.state.remove(key)  # unknown now: the next look writes it again
        _log.warning("drbd %s: promotion score not written: %s", p.resource, res.fail_reason)


def _remember_connection(p: Params, ctx: Context, obs: Observation, *, brought_up: bool = False) -> bool:
    """Record that the resource had its network configured since it was started; return the previous value.

    DRBD drops a connection to StandAlone by itself only after a split-brain (or a protocol error); an admin's
    `drbdadm disconnect` goes through stop/demote here. So StandAlone after any other connection state (or after
    our own `drbdadm up` of a resource with a peer, `brought_up`) means split-brain. The mark stays until stop:
    a lost peer (WFConnection on 8.4, Connecting on 9) keeps it, so the reconnect that finds the split-brain
    is judged right.
    """
    key = f"connected.{p.resource}"
    previous = ctx.state.read(key) == "1"
    now = previous or obs.is_networked or (brought_up and obs.has_peer)
    if now and not previous:
        _remember(ctx, key, "1")
    return previous


def _unresolved_split_brain(p: Params, ctx: Context, obs: Observation, *, seen_now: bool) -> bool:
    """Whether a split-brain seen earlier (`seen_now`: or by the caller) is still unresolved; keeps its mark.

    The mark survives stop and start, so a node restarted after the split (which then waits for a peer that
    stays StandAlone) is neither reported healthy nor promoted. It goes once the resource is connected again,
    which takes the administrator's resolution (`drbdadm connect --discard-my-data` on one side), or with /run at
    a reboot. It holds the resource's minors: XenDomainHA's DRBD guard reads it (xenha.drbd.marks) and refuses to
    start or migrate a guest across the split.
    """
    key = f"{SPLIT_BRAIN_MARK}{p.resource}"
    marked = ctx.state.read(key) is not None
    if seen_now:
        if not marked:
            minors = sorted({v.minor for v in obs.volumes if v.minor is not None})
            _remember(ctx, key, " ".join(str(m) for m in minors) + "\n")
        return True
    if marked and obs.is_connected:
        ctx.state.remove(key)
        _log.info("drbd %s: connected again: split-brain resolved", p.resource)
        return False
    return marked


def _is_split_brain(p: Params, ctx: Context, obs: Observation, *, brought_up: bool = False) -> bool:
    """StandAlone after the network was configured, or an earlier split-brain not resolved since."""
    was_connected = _remember_connection(p, ctx, obs, brought_up=brought_up)
    seen = obs.is_standalone and (was_connected or (brought_up and obs.has_peer))
    return _unresolved_split_brain(p, ctx, obs, seen_now=seen)


def _score(obs: Observation, p: Params, *, split_brain: bool) -> int | None:
    """The score to publish: none for a split-brain Secondary (it must not be promoted), else promotion_score."""
    if split_brain and obs.health != Health.PRIMARY:
        return None
    return promotion_score(obs, p.scores)


def _allows_two_primaries(p: Params, ctx: Context, major: int | None) -> bool:
    """Whether the resource's config says allow-two-primaries, `common` section included (`drbdadm -d -v dump`).

    Read on every call, never cached: an admin may add it and `drbdadm adjust` while the resource runs.
    """
    from xenha.drbd.adm import allows_two_primaries

    res = ctx.run(_commands(p, major).dump_effective(), ctx.deadline)
    if not res.ok:
        detail = _drbd_reason(res) or res.fail_reason
        raise ConfigError(ocf.clip_reason(f"drbd {p.resource}: drbdadm dump failed: {detail}"))
    return allows_two_primaries(res.stdout)


# --- handlers, in lifecycle order ---------------------------------------------------------------------------


# What start keeps after waiting for the peer: the score write (crm_attribute asks the CIB; a busy cluster takes
# seconds), the split-brain bookkeeping and the last look at /proc/drbd.
_WFC_RESERVE_MIN = 5.0
_WFC_RESERVE_PART = 0.2


def wfc_budget(remaining: float) -> float:
    """The longest wait for the peer that leaves start its reserve (see the wfc_timeout parameter), in seconds."""
    if remaining == float("inf"):
        return remaining
    reserve = min(max(_WFC_RESERVE_MIN, remaining * _WFC_RESERVE_PART), remaining / 2)
    return max(0.0, remaining - reserve)


def start(p: Params, ctx: Context) -> ExitCode:
    ctx.state.ensure()  # UnsafeStateDir (4): no split-brain memory, no start; the cluster picks another node
    obs = observe(p, ctx)
    check_clone_meta(ctx.env, obs.major, p.resource)
    brought_up = obs.health == Health.STOPPED
    if brought_up:
        ctx.state.remove(f"minors.{p.resource}")
        cmds = _commands(p, obs.major)
        res = ctx.run(cmds.up(), ctx.deadline)
        if not res.ok:
            raise tool_failure(f"drbd {p.resource}: up", res)

        def attached() -> Observation | None:
            now = observe(p, ctx)
            settled = now.volumes and all(
                v.disk not in (DiskState.ATTACHING, DiskState.NEGOTIATING) for v in now.volumes
            )
            return now if now.health != Health.STOPPED and settled else None

        obs = poll_until(attached, ctx.deadline, interval=0.2, what=f"drbd {p.resource}: attach")
        if p.wfc_timeout > 0 and not obs.is_connected:
            wait = ctx.deadline.sub(min(p.wfc_timeout, wfc_budget(ctx.deadline.remaining())))

            def connected() -> Observation | None:
                now = observe(p, ctx)
                return now if now.is_connected or now.is_standalone else None  # StandAlone: nothing to wait for

            try:
                obs = poll_until(connected, wait, interval=0.2, what=f"drbd {p.resource}: connect")
            except DeadlineExceeded:  # a missing peer is not a start failure
                obs = observe(p, ctx)
                _log.info("drbd %s: peer not connected after %ds; starting degraded", p.resource, p.wfc_timeout)
    split_brain = _is_split_brain(p, ctx, obs, brought_up=brought_up)
    if split_brain:
        _log.error("%s", _split_brain_help(p))
    _set_score(p, ctx, _score(obs, p, split_brain=split_brain))
    _log.info("drbd %s: started (%s, %s)", p.resource, obs.cstates, obs.disks)
    return ExitCode.SUCCESS


# drbd_ret_code ERR_RES_NOT_KNOWN (drbd.h, 8.4 and 9): "Unknown resource", what down of an absent resource may say.
_ERR_RES_NOT_KNOWN = 158


def stop(p: Params, ctx: Context) -> ExitCode:
    try:
        obs = observe(p, ctx)
    except ConfigError as exc:  # drbdadm cannot read the config: never let that fail a stop (we would be fenced)
        from xenha.drbd.adm import parse_drbdadm_error

        _log.error("%s; taking it down with drbdsetup", exc.reason)
        res = ctx.run(_commands(p, None).setup_down(), ctx.deadline)
        unknown = any(f.code == _ERR_RES_NOT_KNOWN for f in parse_drbdadm_error(res.stderr).failures)
        if not res.ok and not unknown:  # a resource the kernel does not know is down already
            raise tool_failure(f"drbd {p.resource}: drbdsetup down", res) from exc
        _forget(p, ctx)
        _set_score(p, ctx, None)
        return ExitCode.SUCCESS
    if obs.health == Health.STOPPED:
        _set_score(p, ctx, None)
        return ExitCode.SUCCESS
    cmds = _commands(p, obs.major)
    peer_primary = obs.peer_is_primary
    if obs.health == Health.PRIMARY:
        res = ctx.run(cmds.secondary(), ctx.deadline)
        if not res.ok:  # down demotes too, and fails the same way if the device is really in use
            _log.warning("drbd %s: demote before stop failed: %s", p.resource, res.fail_reason)
    _down(p, ctx, cmds)
    if p.stop_outdates_secondary and peer_primary:
        res = ctx.run(cmds.outdate(), ctx.deadline)
        if res.ok:
            _log.info("drbd %s: local data marked Outdated (the peer is Primary)", p.resource)
        else:
            _log.warning("drbd %s: could not mark local data Outdated: %s", p.resource, res.fail_reason)
    _forget(p, ctx)
    _set_score(p, ctx, None)
    _log.info("drbd %s: stopped", p.resource)
    return ExitCode.SUCCESS


def _forget(p: Params, ctx: Context) -> None:
    """Drop what we remembered about the running resource (minors, connection mark)."""
    for key in (f"minors.{p.resource}", f"connected.{p.resource}"):
        ctx.state.remove(key)


def _down(p: Params, ctx: Context, cmds: Drbd8Commands) -> None:
    """drbdadm down; if drbdadm cannot (bad config), drbdsetup down directly: a failed stop gets us fenced."""
    res = ctx.run(cmds.down(), ctx.deadline)
    if res.ok:
        return
    _log.error("drbd %s: drbdadm down failed (%s); trying drbdsetup down", p.resource, res.fail_reason)
    res = ctx.run(cmds.setup_down(), ctx.deadline)
    if not res.ok:
        raise tool_failure(f"drbd {p.resource}: down", res)


def monitor(p: Params, ctx: Context) -> ExitCode:
    obs = observe(p, ctx)
    split_brain = obs.health != Health.STOPPED and _is_split_brain(p, ctx, obs)
    code, why = monitor_code(obs, split_brain=split_brain)
    if obs.health != Health.STOPPED or not ctx.env.is_probe:
        # a probe rewrites the score: pacemaker drops transient attributes when it restarts, /run/xenha stays
        _set_score(p, ctx, _score(obs, p, split_brain=why == "split-brain"))
    if code in (ExitCode.DEGRADED, ExitCode.DEGRADED_PROMOTED):
        _log.info("drbd %s: degraded: %s, disks %s", p.resource, obs.cstates, obs.disks)
    if why == "split-brain":
        _log.error("%s", _split_brain_help(p))
        raise Reported(_split_brain_reason(p), code)
    if why is not None:
        raise Reported(f"drbd {p.resource}: Primary with {why} ({obs.cstates}, {obs.disks})", code)
    return code


def promote(p: Params, ctx: Context) -> ExitCode:
    obs = observe(p, ctx)
    check_clone_meta(ctx.env, obs.major, p.resource)
    if obs.health == Health.STOPPED:
        raise Reported(f"drbd {p.resource}: cannot promote, resource is not started")
    if obs.health == Health.PRIMARY:
        return ExitCode.SUCCESS
    if ctx.env.promoted_max >= 2 and not _allows_two_primaries(p, ctx, obs.major):
        raise ConfigError(f"drbd {p.resource}: promoted-max=2 but allow-two-primaries is not set in drbd.conf")
    if "clone_max" in ctx.env.meta and ctx.env.promoted_max < 2 and obs.peer_is_primary:
        # pacemaker demotes before it promotes elsewhere, so this is a cluster split; with allow-two-primaries set
        # for live migration DRBD itself would let us write beside the peer
        raise Reported(f"drbd {p.resource}: not promoting: the peer is Primary and promoted-max=1")
    if _is_split_brain(p, ctx, obs):
        _log.error("%s", _split_brain_help(p))
        _set_score(p, ctx, None)
        raise Reported(f"drbd {p.resource}: not promoting after split-brain; resolve it first")
    refusal = dual_primary_refusal(obs, p)
    if refusal is not None:
        if obs.peer_is_primary and p.require_uptodate_peer_for_dual:
            _log.info(
                "drbd %s: a second Primary during a resync could read blocks this node does not have yet "
                "(require_uptodate_peer_for_dual=true)",
                p.resource,
            )
        raise Reported(f"drbd {p.resource}: not promoting: {refusal}")
    cmds = _commands(p, obs.major)
    res = ctx.run(cmds.primary(), ctx.deadline)
    if not res.ok:
        raise tool_failure(f"drbd {p.resource}: promote", res)
    obs = observe(p, ctx)
    _set_score(p, ctx, promotion_score(obs, p.scores))
    if obs.health != Health.PRIMARY:
        raise Reported(f"drbd {p.resource}: drbdadm primary succeeded but the role is not Primary")
    _log.info("drbd %s: promoted (%s, %s)", p.resource, obs.cstates, obs.disks)
    return ExitCode.SUCCESS


def demote(p: Params, ctx: Context) -> ExitCode:
    obs = observe(p, ctx)
    if obs.health != Health.PRIMARY:
        return ExitCode.SUCCESS
    cmds = _commands(p, obs.major)
    res = ctx.run(cmds.secondary(), ctx.deadline)
    if not res.ok:
        raise tool_failure(f"drbd {p.resource}: demote", res)
    obs = observe(p, ctx)
    _set_score(p, ctx, _score(obs, p, split_brain=_is_split_brain(p, ctx, obs)))
    _log.info("drbd %s: demoted", p.resource)
    return ExitCode.SUCCESS


_NOTIFY_LISTS = (
    ("promote", "promote_uname"),
    ("demote", "demote_uname"),
    ("start", "start_uname"),
    ("stop", "stop_uname"),
    ("promoted", "promoted_uname"),
    ("unpromoted", "unpromoted_uname"),
    ("promoted", "master_uname"),
    ("unpromoted", "slave_uname"),
)


def notify_summary(env: Env) -> str:
    """One log line describing a notification, from the current and the deprecated variable names."""
    kind = env.meta.get("notify_type", "?")
    operation = env.meta.get("notify_operation", "?")
    parts: dict[str, set[str]] = {}
    for label, key in _NOTIFY_LISTS:
        names = set(env.meta.get(f"notify_{key}", "").split())
        if names:
            parts.setdefault(label, set()).update(names)
    detail = " ".join(f"{k}={','.join(sorted(v))}" for k, v in sorted(parts.items()))
    return f"{kind}-{operation}" + (f" ({detail})" if detail else "")


def notify(p: Params, ctx: Context) -> ExitCode:
    """Log what pacemaker announces; notify never fails (a failed notify blocks the whole transition)."""
    _log.info("drbd %s: notify %s", p.resource, notify_summary(ctx.env))
    return ExitCode.SUCCESS


def reload(p: Params, ctx: Context) -> ExitCode:
    """Every parameter but drbd_resource and drbdconf is read on each action; refresh the score now."""
    obs = observe(p, ctx)
    if obs.health != Health.STOPPED:
        _set_score(p, ctx, _score(obs, p, split_brain=_is_split_brain(p, ctx, obs)))
    return ExitCode.SUCCESS


def validate_all(p: Params, ctx: Context) -> ExitCode:
    if not os.path.exists(p.drbdconf):
        raise ConfigError(f"drbdconf {p.drbdconf}: no such file")
    if ctx.paths.which("drbdadm") is None:
        raise NotInstalled("drbdadm: not installed")
    major = None
    try:
        from xenha.drbd.proc import read_proc_drbd

        major = read_proc_drbd(ctx.paths.proc_drbd).major
    except (FileNotFoundError, ParseError):
        pass
    check_clone_meta(ctx.env, major, p.resource)
    allowed = _allows_two_primaries(p, ctx, major)  # also proves drbdadm knows the resource
    if ctx.env.promoted_max >= 2 and not allowed:
        raise ConfigError(f"drbd {p.resource}: promoted-max=2 but allow-two-primaries is not set in drbd.conf")
    return ExitCode.SUCCESS


HANDLERS = {
    "start": start,
    "stop": stop,
    "monitor": monitor,
    "promote": promote,
    "demote": demote,
    "notify": notify,
    "reload": reload,
    "validate-all": validate_all,
}


def _short_reasons(action: str, handler: Handler) -> Handler:
    """Keep every exit reason under pacemaker's limit, whatever raised it (a parser's error quotes a whole line)."""

    def run_handler(env: Env) -> ExitCode:
        try:
            return handler(env)
        except XenhaError as exc:
            exc.reason = ocf.clip_reason(exc.reason)
            raise
        except Exception as exc:
            _log.debug("%s: %s crashed", env.instance, action, exc_info=True)
            raise ToolError(ocf.clip_reason(f"{action}: internal error: {type(exc).__name__}: {exc}")) from exc

    return run_handler


def _never_fails(handler: Handler) -> Handler:
    """notify must answer 0 whatever happens, even to bad parameters: a failed notify blocks the transition."""

    def run_notify(env: Env) -> ExitCode:
        try:
            return handler(env)
        except Exception as exc:  # noqa: BLE001 -- logged, and notify has nothing to undo
            _log.warning("%s: notify: %s", env.instance, getattr(exc, "reason", exc))
            return ExitCode.SUCCESS

    return run_notify


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, runner: Runner | None = None
) -> int:
    """The launcher's entry point: one action from argv, parameters from the environment, commands by `runner`."""
    bound = bind_handlers(AGENT, params_from, HANDLERS, runner=runner)
    handlers = {action: _short_reasons(action, h) for action, h in bound.items()}
    handlers["notify"] = _never_fails(bound["notify"])
    return ocf.run(AGENT, handlers, os.environ if environ is None else environ, sys.argv if argv is None else argv)

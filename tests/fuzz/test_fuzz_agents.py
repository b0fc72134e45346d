# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every agent, every declared parameter, every action: hostile values in-process, and the properties they must keep.

Properties, for each call: nothing leaves main() (no exception, no os._exit, no sys.exit) and nothing reports a crash
on stderr; the exit code is in the agent's documented set; an action the agent does not implement is 3; stop of an
absent resource is 0 (whatever the parameters hold); a probe answers 7 or 0 (DrbdDualPrimary: its monitor codes);
at most one `ocf-exit-reason:` line, of at most 127 bytes; the call ends within its op timeout; no argv element
equal to (a word of) a fuzzed value that starts with `-` reaches a command unless after `--`.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.agents import FENCE, HB1, OCF_ACTIONS, SPECS, FenceSpec, Hb1Spec, OcfSpec, effective_timeout, patched
from tests.fuzz.conftest import FUZZ, MODE
from tests.fuzz.harness import HARD_CAP, SLACK, TALLY, FakeRunner, Sandbox, World, call, violations
from tests.fuzz.known import excused
from tests.fuzz.values import SANE_MS, adversarial, instance_ids, meta_timeouts, odd_meta

pytestmark = [pytest.mark.fuzz] + ([pytest.mark.slow] if MODE == "long" else [])

# Meta attributes an odd environment may carry; the interval is left alone for probes (it makes them probes).
_ODD_META = ("clone_max", "clone_node_max", "promoted_max", "notify", "migrate_target", "on_node", "notify_type")
# And for every action but a probe (an interval that is not a number of ms makes a monitor a probe):
_ODD_META_NOT_PROBE = ("interval",)
# Values that name a node or an address: tracked for the argv property like parameters.
_TRACKED_META = ("migrate_target", "on_node")
# Parameters whose words are command-line options by declaration (XenDomainHA's migrate_options: "extra arguments
# for xl migrate"; the heartbeat script's XENDOMAINS_MIGRATE: "HOST [OPTIONS]"): not held to the argv property.
OPTION_PARAMETERS = frozenset({"migrate_options", "XENDOMAINS_MIGRATE"})


@pytest.fixture(scope="module")
def box():
    sandbox = Sandbox.create()
    yield sandbox
    sandbox.remove()


def base_environ(box: Sandbox) -> dict[str, str]:
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "OCF_ROOT": "/usr/lib/ocf",
        "HA_LOGFACILITY": "none",
        "XENHA_RUN_DIR": box.path("run"),
        "XENHA_PROC_DRBD": box.path("proc_drbd"),
        "XENHA_PROC_XEN_CAPABILITIES": box.path("xen_capabilities"),
        "XENHA_CONFIGFS": box.path("configfs"),
        "XENHA_HB1_DEFAULTS_DIR": box.path("defaults"),
        "XENHA_LEDGER": box.path("var", "ledger.json"),
        "XENHA_NODE": "ha1",
        "HA_VARLIB": box.path("var"),
        "OCF_RESKEY_CRM_meta_on_node": "ha1",
    }


def _run_dirs(box: Sandbox) -> list[str]:
    """XENHA_RUN_DIR: mostly the sandbox's, sometimes one that cannot be used (a FIFO, a file, a world-writable
    directory, a symlink, a path under a missing or non-directory parent)."""
    shared = box.path("shared")
    if not os.path.isdir(shared):
        os.mkdir(shared)
        os.chmod(shared, 0o1777)
    usual = box.path("run")
    return [usual] * 6 + [box.path("fifo"), box.path("empty"), shared, box.path("link-to-dir"), "/dev/null/run"]


def _implemented(spec: OcfSpec, action: str) -> bool:
    names = spec.agent.action_names | {"meta-data", "usage"}
    if "reload" in names:
        names |= {"reload-agent"}
    return {"probe": "monitor", "monitor-10": "monitor"}.get(action, action) in names


def _draw_values(data, box: Sandbox, names, baseline, plausible):
    values = dict(baseline)
    fuzzed: dict[str, str] = {}
    chosen = data.draw(st.lists(st.sampled_from(names), max_size=3, unique=True), label="fuzzed")
    for name in chosen:
        value = data.draw(adversarial(box, plausible.get(name)), label=name)
        values[name] = fuzzed[name] = value
    dropped = data.draw(st.sets(st.sampled_from(sorted(baseline) or ["-"]), max_size=1), label="dropped")
    for name in dropped:
        if name not in fuzzed:
            values.pop(name, None)
    return values, fuzzed


def _record(agent: str, action: str, outcome) -> None:
    TALLY.add(agent, action, "crash" if outcome.crash is not None or outcome.code is None else int(outcome.code))


_CASES = [(s, a) for s in SPECS for a in OCF_ACTIONS]


@pytest.mark.parametrize(("spec", "action"), _CASES, ids=[f"{s.name}-{a}" for s, a in _CASES])
def test_ocf_agent(box: Sandbox, spec: OcfSpec, action: str) -> None:
    @FUZZ
    @given(data=st.data())
    def one(data) -> None:
        box.reset()
        world = World(box)
        world.set_drbd("down")
        state = data.draw(st.sampled_from(spec.states), label="state")
        spec.prepare(world, state)
        values, fuzzed = _draw_values(data, box, spec.parameters, spec.baseline(box), spec.plausible)
        timeout = data.draw(meta_timeouts(), label="timeout")
        instance = data.draw(instance_ids(spec.instance), label="instance")
        keys = _ODD_META + (() if action == "probe" else _ODD_META_NOT_PROBE)
        meta = data.draw(st.dictionaries(st.sampled_from(keys), odd_meta(), max_size=2), label="meta")
        check_level = data.draw(st.none() | st.sampled_from(["0", "10", "20", "x", "-1", "9" * 5000]), label="depth")
        environ = base_environ(box)
        environ.update({f"OCF_RESKEY_{k}": v for k, v in values.items()})
        environ.update({f"OCF_RESKEY_CRM_meta_{k}": v for k, v in meta.items()})
        environ["OCF_RESOURCE_INSTANCE"] = instance
        run_dir = data.draw(st.sampled_from(_run_dirs(box)), label="run_dir")
        environ["XENHA_RUN_DIR"] = run_dir
        if timeout is not None:
            environ["OCF_RESKEY_CRM_meta_timeout"] = timeout
        verb = {"probe": "monitor", "monitor-10": "monitor"}.get(action, action)
        if check_level is not None:
            environ["OCF_CHECK_LEVEL"] = check_level
        if action in ("monitor", "monitor-10"):
            environ.setdefault("OCF_RESKEY_CRM_meta_interval", "10000")
        if action == "monitor-10":
            environ["OCF_CHECK_LEVEL"] = "10"
        if action == "migrate_to" and "migrate_target" not in meta:
            environ["OCF_RESKEY_CRM_meta_migrate_target"] = "ha2"
        if action == "notify":
            environ.setdefault("OCF_RESKEY_CRM_meta_notify_type", "pre")
            environ["OCF_RESKEY_CRM_meta_notify_operation"] = "promote"
        tracked = {k: v for k, v in fuzzed.items() if k not in OPTION_PARAMETERS}
        tracked.update({f"CRM_meta_{k}": v for k, v in meta.items() if k in _TRACKED_META})
        limit = effective_timeout(spec.agent, action, timeout)
        runner = FakeRunner(world)
        spawned: list[tuple[str, ...]] = []
        with patched(box, spawned):
            outcome = call(
                lambda: spec.main([spec.name, verb], environ, runner=runner),
                limit=min(limit + SLACK + 0.5, HARD_CAP),
                runner=runner,
                spawned=spawned,
            )
        _record(spec.name, action, outcome)
        sane = timeout is None or limit >= SANE_MS[0] / 1000
        expect = None
        if not _implemented(spec, action):
            expect = frozenset({3})
        elif action in ("meta-data", "usage") or action == "stop" and spec.is_absent(state) and sane:
            expect = frozenset({0})
        elif action == "probe" and sane:
            expect = spec.probe_codes
        found = violations(outcome, codes=spec.codes, timeout_s=limit, expect=expect, fuzzed=tracked)
        if action == "meta-data" and "<resource-agent" not in outcome.stdout:
            found.append("meta-data printed no resource-agent document")
        found, _ = excused(spec.name, action, found, outcome.stderr)
        assert not found, _report(spec.name, action, state, fuzzed, meta, timeout, instance, outcome, found)

    one()


@pytest.mark.parametrize("action", FENCE.actions)
def test_fence_noop(box: Sandbox, action: str) -> None:
    spec: FenceSpec = FENCE

    @FUZZ
    @given(data=st.data())
    def one(data) -> None:
        box.reset()
        world = World(box)
        values, fuzzed = _draw_values(data, box, spec.parameters, spec.baseline(box), {"plug": ["ha1", "-x", "HA2"]})
        if data.draw(st.booleans(), label="sim_world") and "sim_world" not in fuzzed:
            values["sim_world"] = box.path("world")
        environ = base_environ(box)
        runner = FakeRunner(world)
        command_line = data.draw(st.booleans(), label="command_line")
        with patched(box, []):
            fn = spec.call(box, runner, action, values, environ, command_line=command_line)
            outcome = call(fn, limit=HARD_CAP, runner=runner)
        _record(spec.name, action, outcome)
        # Options are validated before any action, meta-data included (fencing.py does the same): only an unknown
        # action has one answer.
        expect = frozenset({1}) if action == "no-such-action" else None
        # pacemaker-fenced gives a fence agent no timeout; fence_noop's own budget is SIM_TIMEOUT (20 s)
        found = violations(outcome, codes=spec.codes, timeout_s=min(20.0, HARD_CAP), expect=expect, fuzzed=fuzzed)
        found, _ = excused(spec.name, action, found, outcome.stderr)
        assert not found, _report(spec.name, action, "-", fuzzed, {}, None, "-", outcome, found)

    one()


@pytest.mark.parametrize("action", HB1.actions)
def test_heartbeat_script(box: Sandbox, action: str) -> None:
    spec: Hb1Spec = HB1

    @FUZZ
    @given(data=st.data())
    def one(data) -> None:
        box.reset()
        world = World(box)
        state = data.draw(st.sampled_from(spec.states), label="state")
        spec.prepare(world, state)
        plausible = {"XENHA_TOOLSTACK": ["xm", "auto"], "XENDOMAINS_MIGRATE": ["ha2X", "-x", "ha2X --live"]}
        values, fuzzed = _draw_values(data, box, spec.parameters, spec.baseline(box, state), plausible)
        environ = base_environ(box)
        runner = FakeRunner(world)
        with patched(box, []):
            outcome = call(spec.call(box, runner, action, values, environ), limit=HARD_CAP, runner=runner)
        _record(spec.name, action, outcome)
        # An empty group: stop has nothing to stop (6 when the defaults file is unusable, as LSB says).
        expect = frozenset({0, 6}) if action == "stop" else None
        tracked = {k: v for k, v in fuzzed.items() if k not in OPTION_PARAMETERS}
        found = violations(outcome, codes=spec.codes(action), timeout_s=HARD_CAP, expect=expect, fuzzed=tracked)
        found, _ = excused(spec.name, action, found, outcome.stderr)
        assert not found, _report(spec.name, action, state, fuzzed, {}, None, "-", outcome, found)

    one()


def _report(agent, action, state, fuzzed, meta, timeout, instance, outcome, found) -> str:  # noqa: PLR0917
    shown = {k: (v if len(v) <= 60 else v[:57] + f"...({len(v)} chars)") for k, v in fuzzed.items()}
    lines = [
        f"{agent} {action} (world: {state}): " + "; ".join(found),
        f"  fuzzed parameters: {shown!r}",
        f"  meta: {meta!r}  timeout: {(timeout or '')[:30]!r}  instance: {instance[:60]!r}",
        f"  code {outcome.code} in {outcome.elapsed:.2f}s",
        "  commands: " + "; ".join(" ".join(r.argv)[:100] for r in outcome.ran[:6]),
        "  stderr: " + outcome.stderr[-800:],
    ]
    return "\n".join(lines)


def test_every_parameter_is_fuzzed() -> None:
    """The parameter lists come from the agents' own declarations: a new parameter is fuzzed without editing us."""
    for spec in SPECS:
        assert set(spec.parameters) == {p.name for p in spec.agent.parameters}
        assert set(spec.plausible) <= set(spec.parameters), spec.name
    assert {"plug", "port", "log_file", "state_dir", "sim_world"} <= set(FENCE.parameters)
    assert {"XENDOMAINS_AUTO", "XENDOMAINS_STOP_MAXWAIT", "LOCKFILE", "XENHA_TOOLSTACK"} <= set(HB1.parameters)


def test_the_harness_sees_what_it_must() -> None:
    """A call that hangs, exits, raises or injects an option is reported: the properties can fail."""
    from tests.fuzz.harness import Outcome, Ran

    box = Sandbox.create()
    try:
        runner = FakeRunner(World(box))

        def hangs() -> int:
            with open(box.path("fifo"), encoding="utf-8") as handle:  # blocks: no writer
                return len(handle.read())

        slow = call(hangs, limit=0.3, runner=runner)
        assert slow.crash is not None and slow.crash.startswith("hang")
        exits = call(lambda: os._exit(3), limit=1, runner=runner)
        assert exits.crash == "os._exit(3) inside main()"
        raises = call(lambda: int("9" * 5000), limit=1, runner=runner)
        assert raises.crash is not None and "ValueError" in raises.crash
        prints = call(lambda: print("\udcff") or 0, limit=1, runner=runner)
        assert prints.crash is not None and "UnicodeEncodeError" in prints.crash
        injected = Outcome(0, "", "", b"", 0.0, None, [Ran(("xl", "shutdown", "-a"), 5.0)], [])
        assert violations(injected, codes=frozenset({0}), timeout_s=1, fuzzed={"name": "-a"})
        separated = Outcome(0, "", "", b"", 0.0, None, [Ran(("xl", "shutdown", "--", "-a"), 5.0)], [])
        assert not violations(separated, codes=frozenset({0}), timeout_s=1, fuzzed={"name": "-a"})
        two = Outcome(1, "", "", b"ocf-exit-reason:a\nocf-exit-reason:b\n", 0.0, None, [], [])
        assert violations(two, codes=frozenset({1}), timeout_s=1)
        long = Outcome(1, "", "", b"ocf-exit-reason:" + b"x" * 128 + b"\n", 0.0, None, [], [])
        assert violations(long, codes=frozenset({1}), timeout_s=1)
    finally:
        box.remove()

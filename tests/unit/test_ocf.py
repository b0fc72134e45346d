# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""ocf.run: dispatch, the invalid-configuration policy, exit reasons, and Env parsing."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest

from xenha import ocf
from xenha.errors import ConfigError, NotInstalled, ToolError
from xenha.ocf import EXIT_TEXT, Env, ExitCode

AGENT = ocf.Agent(
    name="Probe",
    version="1.0",
    shortdesc="test agent",
    longdesc="An agent for tests.",
    parameters=(ocf.Parameter("config", "config file", "The config file.", required=True),),
    actions=(ocf.Action("start", 30), ocf.Action("stop", 30), ocf.Action("monitor", 20, interval=10)),
)


def _run(action: str, handler, **env: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"HA_LOGFACILITY": "none", "OCF_RESOURCE_INSTANCE": "p1", **env}
    code = ocf.run(
        AGENT,
        {"start": handler, "stop": handler, "monitor": handler},
        environ,
        ["agent", action],
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


def _raise(exc: Exception):
    def handler(env: Env) -> ExitCode:
        raise exc

    return handler


# pacemaker's enum ocf_exitcode (include/crm/common/results.h, 2.1) and resource-agents' ocf-returncodes
PACEMAKER_OCF_CODES = {
    "SUCCESS": 0,  # PCMK_OCF_OK
    "ERR_GENERIC": 1,  # PCMK_OCF_UNKNOWN_ERROR
    "ERR_ARGS": 2,  # PCMK_OCF_INVALID_PARAM
    "ERR_UNIMPLEMENTED": 3,  # PCMK_OCF_UNIMPLEMENT_FEATURE
    "ERR_PERM": 4,  # PCMK_OCF_INSUFFICIENT_PRIV
    "ERR_INSTALLED": 5,  # PCMK_OCF_NOT_INSTALLED
    "ERR_CONFIGURED": 6,  # PCMK_OCF_NOT_CONFIGURED
    "NOT_RUNNING": 7,  # PCMK_OCF_NOT_RUNNING
    "RUNNING_PROMOTED": 8,  # PCMK_OCF_RUNNING_PROMOTED
    "FAILED_PROMOTED": 9,  # PCMK_OCF_FAILED_PROMOTED
    "DEGRADED": 190,  # PCMK_OCF_DEGRADED
    "DEGRADED_PROMOTED": 191,  # PCMK_OCF_DEGRADED_PROMOTED
}


def test_exit_codes_mirror_ocf_values():
    named = {name: getattr(ExitCode, name) for name in dir(ExitCode) if name.isupper()}
    assert named == PACEMAKER_OCF_CODES
    assert all(isinstance(code, int) and isinstance(code, ExitCode) for code in named.values())
    assert set(EXIT_TEXT) == set(PACEMAKER_OCF_CODES.values())
    assert str(ExitCode.NOT_RUNNING) == "not running"
    assert ExitCode(7) == ExitCode.NOT_RUNNING == 7


def test_exit_codes_match_ocf_returncodes_of_resource_agents():
    """The shell agents' own table, /usr/lib/ocf/lib/heartbeat/ocf-returncodes, where resource-agents is installed."""
    path = Path("/usr/lib/ocf/lib/heartbeat/ocf-returncodes")
    if not path.exists():
        pytest.skip("resource-agents is not installed")
    shell = dict(re.findall(r"^OCF_([A-Z_]+)=(\d+)", path.read_text(), re.MULTILINE))
    for name, value in PACEMAKER_OCF_CODES.items():
        key = {"RUNNING_PROMOTED": "RUNNING_MASTER", "FAILED_PROMOTED": "FAILED_MASTER"}.get(name, name)
        if key in shell:
            assert int(shell[key]) == value, name


def test_env_reads_params_meta_and_probe():
    env = Env.from_environ(
        {
            "OCF_RESKEY_config": "/etc/xen/web1.cfg",
            "OCF_RESKEY_CRM_meta_interval": "0",
            "OCF_RESKEY_CRM_meta_timeout": "30000",
            "OCF_RESKEY_CRM_meta_master_max": "2",
            "OCF_RESKEY_CRM_meta_notify": "true",
            "OCF_RESOURCE_INSTANCE": "drbd_r0:1",
        },
        ["agent", "monitor", "extra", "words"],
        resource_type="X",
    )
    assert env.action == "monitor"
    assert env.params == {"config": "/etc/xen/web1.cfg"}
    assert env.timeout_ms == 30000
    assert env.is_probe
    assert env.promoted_max == 2
    assert env.meta_flag("notify") is True
    assert env.base_instance == "drbd_r0"


def test_promoted_max_prefers_new_name():
    env = Env.from_environ(
        {"OCF_RESKEY_CRM_meta_promoted_max": "1", "OCF_RESKEY_CRM_meta_master_max": "2"},
        ["a", "start"],
        resource_type="X",
    )
    assert env.promoted_max == 1


def test_recurring_monitor_is_not_a_probe():
    env = Env.from_environ({"OCF_RESKEY_CRM_meta_interval": "10000"}, ["a", "monitor"], resource_type="X")
    assert not env.is_probe


def test_meta_data_needs_no_environment():
    out = io.StringIO()
    assert ocf.run(AGENT, {}, {}, ["agent", "meta-data"], stdout=out) == 0
    assert '<resource-agent name="Probe"' in out.getvalue()


def test_unknown_action_is_unimplemented_with_one_reason():
    code, _, err = _run("frobnicate", _raise(RuntimeError()))
    assert code == ExitCode.ERR_UNIMPLEMENTED
    assert err.count("ocf-exit-reason:") == 1
    assert err.rstrip().splitlines()[-1].startswith("ocf-exit-reason:")


def test_no_action_is_an_argument_error():
    code, _, err = _run("", _raise(RuntimeError()))
    assert code == ExitCode.ERR_ARGS


@pytest.mark.parametrize(
    ("action", "interval", "exc", "expected", "reasons"),
    [
        ("stop", "0", ConfigError("bad"), ExitCode.SUCCESS, 0),
        ("monitor", "0", ConfigError("bad"), ExitCode.NOT_RUNNING, 0),
        ("monitor", "0", NotInstalled("xl: not installed"), ExitCode.NOT_RUNNING, 0),
        ("monitor", "10000", ConfigError("bad"), ExitCode.ERR_GENERIC, 1),
        ("start", "0", ConfigError("bad"), ExitCode.ERR_CONFIGURED, 1),
        ("start", "0", NotInstalled("xl: not installed"), ExitCode.ERR_INSTALLED, 1),
        ("start", "0", ToolError("xl create failed"), ExitCode.ERR_GENERIC, 1),
        ("start", "0", KeyError("boom"), ExitCode.ERR_GENERIC, 1),
    ],
)
def test_error_mapping(action, interval, exc, expected, reasons):
    code, _, err = _run(action, _raise(exc), OCF_RESKEY_CRM_meta_interval=interval)
    assert code == expected
    assert err.count("ocf-exit-reason:") == reasons
    assert "Traceback" not in err


def test_exit_reason_is_one_line_and_honours_prefix():
    code, _, err = _run("start", _raise(ToolError("line one\nline two")), OCF_EXIT_REASON_PREFIX="why:")
    assert code == 1
    assert err.splitlines()[-1] == "why:line one line two"


def test_handler_code_is_returned():
    code, _, _ = _run("monitor", lambda env: ExitCode.RUNNING_PROMOTED, OCF_RESKEY_CRM_meta_interval="10000")
    assert code == 8


def test_duplicate_parameter_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        ocf.Agent("A", "1", "s", "l", (ocf.Parameter("x", "s", "l"), ocf.Parameter("x", "s", "l")), ())


def test_parameter_type_must_be_in_dtd():
    with pytest.raises(ValueError, match="ra-api-1.dtd"):
        ocf.Parameter("x", "s", "l", type="select")


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        ("1" + "0" * 309, None),  # more than 12 digits: not believed (once an OverflowError that failed every stop)
        ("9" * 12, 7 * 24 * 3600 * 1000),  # clamped to a week
        ("\u00b2", None),
        ("-5", None),
        ("20000", 20000),
    ],
)
def test_op_timeouts_are_bounded(timeout, expected):
    env = Env.from_environ({"OCF_RESKEY_CRM_meta_timeout": timeout}, ["X", "stop"], resource_type="X")
    assert env.timeout_ms == expected
    from xenha.run import Deadline

    Deadline.from_timeout_ms(env.timeout_ms, default_s=20).remaining()  # never raises


_FINISH = """
import sys
sys.path[:0] = [{lib!r}]
from xenha.ocf.protocol import finish
{hook}
sys.stdout.write("out")  # buffered: a pipe is not a tty
sys.stderr.write("err")
finish(7)
"""


@pytest.mark.parametrize(
    "hook", ["", "import atexit; atexit.register(lambda: print('hook', flush=True))"], ids=["fast", "exit-hook"]
)
def test_finish_flushes_and_exits_with_the_code(hook):
    """finish() leaves without teardown, yet with stdout/stderr written; exit hooks, when any, still run."""
    lib = str(Path(__file__).resolve().parents[2] / "lib")
    done = subprocess.run(
        ["/usr/bin/python3", "-IS", "-c", _FINISH.format(lib=lib, hook=hook)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 7
    assert done.stdout == ("outhook\n" if hook else "out")
    assert done.stderr == "err"


# --- Pacemaker's placeholder instance (crm_resource --validate, pcs --agent-validation) ----------------------------

VALIDATE_ENV = {"OCF_RESOURCE_INSTANCE": "test", "OCF_RESKEY_CRM_meta_timeout": "20000"}


def _validate(reason: str, **env: str) -> str:
    err = io.StringIO()
    environ = {"HA_LOGFACILITY": "none", **VALIDATE_ENV, **env}
    ocf.run(AGENT, {"validate-all": _raise(ConfigError(reason))}, environ, ["agent", "validate-all"], stderr=err)
    (line,) = [x for x in err.getvalue().splitlines() if x.startswith("ocf-exit-reason:")]
    return line.removeprefix("ocf-exit-reason:")


def test_validation_without_a_resource_does_not_name_the_placeholder_instance():
    # crm_resource --validate (what pcs runs) passes OCF_RESOURCE_INSTANCE=test and no node
    assert _validate("domU test: config /etc/xen/x.cfg does not exist") == "config /etc/xen/x.cfg does not exist"
    assert _validate("test: bad") == "bad"
    assert _validate("domU web1: config /x does not exist") == "domU web1: config /x does not exist"
    assert _validate("config: parameter is required") == "config: parameter is required"
    assert _validate("domU test:") == "domU test:"  # nothing would be left


def test_a_real_resource_named_test_keeps_its_name():
    on_node = {"OCF_RESKEY_CRM_meta_on_node": "ha1"}  # the cluster always passes the node
    assert _validate("domU test: config /x does not exist", **on_node) == "domU test: config /x does not exist"
    assert _validate("domU test: bad", OCF_RESOURCE_INSTANCE="web1") == "domU test: bad"


def test_placeholder_instance_is_only_crm_resources_made_up_one():
    env = Env.from_environ(VALIDATE_ENV, ["a", "validate-all"], resource_type="XenDomainHA")
    assert env.instance_is_placeholder
    assert not Env.from_environ({}, ["a", "validate-all"], resource_type="XenDomainHA").instance_is_placeholder


def test_crm_resource_validate_shows_the_reason_without_the_placeholder():
    """What pcs --agent-validation shows: crm_resource --validate's reason, from the installed agent."""
    import shutil

    agent = Path("/usr/lib/ocf/resource.d/xenha/XenDomainHA")
    if shutil.which("crm_resource") is None or not agent.is_file():
        pytest.skip("needs crm_resource and xenha installed (make install)")
    argv = ["crm_resource", "--validate", "--class", "ocf", "--provider", "xenha", "--agent", "XenDomainHA"]
    done = subprocess.run(
        [*argv, "--option", "config=/nonexistent/web1.cfg"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 5, done.stdout + done.stderr
    assert "ocf-exit-reason:config /nonexistent/web1.cfg does not exist" in done.stdout + done.stderr
    assert "test" not in (done.stdout + done.stderr).replace("XenDomainHA", "")


def test_every_exit_reason_is_clipped_to_pacemakers_128_bytes():
    """emit_exit_reason clips, whatever the agent raised (fuzz #C1: O2cbCluster quoted a 150-byte value)."""
    code, _, err = _run("start", _raise(ConfigError(f"cluster={'名' * 60!r}: not a cluster name")))
    assert code == ExitCode.ERR_CONFIGURED
    (line,) = [x for x in err.splitlines() if x.startswith("ocf-exit-reason:")]
    reason = line.removeprefix("ocf-exit-reason:")
    assert len(reason.encode()) <= 127 and reason.endswith("...") and reason.startswith("cluster='名名")


def test_an_undecodable_byte_in_a_reason_is_shown_not_raised():
    """os.environ turns a non-UTF-8 byte into a surrogate; the reason shows it as \\udc80 (fuzz #C2)."""
    assert ocf.clip_reason("node \udc80 is not in it") == "node \\udc80 is not in it"
    assert ocf.clip_reason("\udc80" * 100).endswith("...")
    raw = io.BytesIO()
    err = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    environ = {"HA_LOGFACILITY": "none", "OCF_RESOURCE_INSTANCE": "p1"}
    handler = _raise(ConfigError("this node \udc80 is not in it"))
    code = ocf.run(AGENT, {"start": handler}, environ, ["agent", "start"], stdout=io.StringIO(), stderr=err)
    assert code == ExitCode.ERR_CONFIGURED
    text = raw.getvalue().decode()
    assert "ocf-exit-reason:this node \\udc80 is not in it\n" in text
    assert "ERROR: this node \\udc80 is not in it" in text and "Logging error" not in text

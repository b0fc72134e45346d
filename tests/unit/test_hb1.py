# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha.hb1.config: the defaults-file reader (never runs anything; agrees with the shell), groups, settings, and
the status line judged by heartbeat 3.0.6's own `we_own_resource`, taken from the installed ResourceManager."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.strategies.hb1 import group_names, rendered_files, shell_vars
from xenha.errors import ArgsError, ConfigError, ParseError
from xenha.hb1.config import (
    Assignment,
    MigrateTarget,
    Ownership,
    ShellVars,
    group_config,
    group_from_argv0,
    guest_from_text,
    heartbeat_owns,
    ownership,
    parse_migrate,
    parse_shell_vars,
    render_shell_vars,
    status_line,
)

RESOURCE_MANAGER = Path("/usr/share/heartbeat/ResourceManager")

# /etc/default/xendomains as Xen 4.x ships it (tools/hotplug/Linux/init.d/sysconfig.xendomains), trimmed, with the
# changes a heartbeat v1 admin makes for group 1.
XENDOMAINS_HA1 = """\
## Path: System/Virtualization
## Type: string
## Default: ""
#
# This variable contains the path to where the xendomains script
XENDOMAINS_SYSRQ=""
XENDOMAINS_USLEEP=100000
XENDOMAINS_CREATE_USLEEP=5000000

## Type: string
## Default: ""
XENDOMAINS_MIGRATE="ha2X --live"
XENDOMAINS_SAVE=/var/lib/xen/save/HA1
XENDOMAINS_SHUTDOWN="--halt --wait"
XENDOMAINS_SHUTDOWN_ALL="--all --halt --wait"
XENDOMAINS_RESTORE=true
XENDOMAINS_AUTO=/etc/xen/auto/HA1
XENDOMAINS_AUTO_ONLY=true
XENDOMAINS_STOP_MAXWAIT=300
export LOCKFILE='/var/lock/xendomainsHA1'   # one per group
"""


# -- the reader --------------------------------------------------------------------------------------------------


def test_a_real_defaults_file():
    variables = parse_shell_vars(XENDOMAINS_HA1)
    assert variables.get("XENDOMAINS_MIGRATE") == "ha2X --live"
    assert variables.get("XENDOMAINS_SYSRQ") == ""
    assert variables.get("XENDOMAINS_NOPE") is None
    assert variables.assignments[-1] == Assignment("LOCKFILE", "/var/lock/xendomainsHA1", exported=True)
    cfg = group_config("1", variables)
    assert cfg.name == "xendomainsHA1"
    assert cfg.auto_dir == "/etc/xen/auto/HA1"
    assert cfg.migrate == MigrateTarget("ha2X", ("--live",))
    assert (cfg.save_dir, cfg.restore, cfg.stop_maxwait, cfg.lockfile) == (
        "/var/lib/xen/save/HA1", True, 300.0, "/run/xenha/hb1/xendomainsHA1",
    )  # fmt: skip
    assert cfg.toolstack == "auto" and cfg.peer is None
    assert cfg.notes == (
        "XENDOMAINS_SHUTDOWN_ALL is ignored: it would shut down the other group's guests too",
        "LOCKFILE='/var/lock/xendomainsHA1' is ignored: the group's lock is /run/xenha/hb1/xendomainsHA1 (a directory"
        " only root can write)",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=b", {"A": "b"}),
        ("A='x y' B=\"p q\"  # two on a line", {"A": "x y", "B": "p q"}),
        ('A="a\\$b\\`c\\"d\\\\e\\f"', {"A": 'a$b`c"d\\e\\f'}),
        ("A=a\\ b\\\nc", {"A": "a bc"}),
        ("A='multi\nline'", {"A": "multi\nline"}),
        ("A=x#y", {"A": "x#y"}),
        ("A=b:c~d", {"A": "b:c~d"}),
        ("A='~'/x", {"A": "~/x"}),
        ("export A B\nA=1", {"A": "1"}),
        ("A=1\nA=2", {"A": "2"}),
        ("", {}),
    ],
)
def test_reader_follows_the_shell(text, expected):
    assert parse_shell_vars(text).as_dict() == expected


@pytest.mark.parametrize(
    ("text", "lineno", "why"),
    [
        ("A=$(touch /tmp/xenha-pwned)", 1, "would expand or run something"),
        ("A=`reboot`", 1, "would expand or run something"),
        ('A="$HOME/x"', 1, "inside double quotes would expand"),
        ("A=${B}", 1, "would expand"),
        ("ok=1\nA=b reboot", 2, "a command after an assignment would run"),
        ("A=b; reboot", 1, "shell operator"),
        ("A=b && reboot", 1, "a command after an assignment"),
        ("A=b|c", 1, "shell operator"),
        ("A=b >/etc/passwd", 1, "a command after an assignment"),
        ("A=~root", 1, "unquoted ~"),
        ("A=x:~/bin", 1, "unquoted ~"),
        (". /etc/other", 1, "not a `NAME=value` assignment"),
        ("reboot", 1, "not a `NAME=value` assignment"),
        ("A='open\n\n", 1, "unterminated single quote"),
        ('A="open', 1, "unterminated double quote"),
        ("A=b\r\n", 1, "carriage return"),
        ("A=\\", 1, "backslash at the end"),
        ("A=b\x00", 1, "NUL"),
        ("export A B=1", 1, "mix of `export NAME` and assignments"),
        ("export A#=1", 1, "not a variable name"),
        ("export A B-c", 1, "not a variable name"),
        ("1A=b", 1, "not a `NAME=value`"),
    ],
)
def test_reader_refuses_what_the_shell_would_run_or_expand(text, lineno, why, tmp_path):
    with pytest.raises(ParseError) as info:
        parse_shell_vars(text, tool="xendomainsHA1")
    assert (info.value.tool, info.value.lineno) == ("xendomainsHA1", lineno)
    assert why in info.value.why
    assert not Path("/tmp/xenha-pwned").exists()


def _sh_values(text: str, names: list[str], tmp: Path) -> list[str]:
    """What dash holds after sourcing `text` (in an empty environment, in a scratch directory)."""
    path = tmp / "defaults"
    path.write_text(text)
    script = ". ./defaults\n" + "".join(f'printf "%s\\0" "${n}"\n' for n in names)
    done = subprocess.run(["/bin/sh", "-c", script], cwd=tmp, env={}, capture_output=True, timeout=10, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


_SH_SPECIAL = re.compile(r"PATH|IFS|ENV|PS\d|OPTIND|OPTARG|PPID|LINENO|HOME|PWD|OLDPWD|SHELL|MAIL\w*|HISTFILE")


@settings(max_examples=80)
@example(case=(ShellVars((Assignment("A", "x y", True), Assignment("B", "", False))), "export A='x'\\ y\nB=\n"))
@given(case=rendered_files())
def test_round_trip_and_the_shell_agrees(case, tmp_path_factory):
    model, text = case
    parsed = parse_shell_vars(text)
    assert parsed == model
    assert parse_shell_vars(render_shell_vars(parsed)) == model
    names = [a.name for a in model.assignments if not _SH_SPECIAL.fullmatch(a.name)]
    if names and os.path.exists("/bin/sh"):
        assert _sh_values(text, names, tmp_path_factory.mktemp("sh")) == [model.get(n) for n in names]


@settings(max_examples=150)
@given(shell_vars(), st.data())
def test_mutated_files_raise_parse_error_and_nothing_else(model, data):
    text = render_shell_vars(model)
    position = data.draw(st.integers(0, len(text)))
    inserted = data.draw(st.sampled_from(["$", "`", ";", "|", "&", "(", ")", "<", ">", "'", '"', "\\", " ", "~", "\n"]))
    mutated = text[:position] + inserted + text[position:]
    try:
        parse_shell_vars(mutated)
    except ParseError:
        pass


@settings(max_examples=60)
@given(shell_vars(), st.data())
def test_mutations_that_parse_are_read_as_the_shell_reads_them(model, data):
    text = render_shell_vars(model)
    position = data.draw(st.integers(0, len(text)))
    inserted = data.draw(st.sampled_from(["'", '"', "\\", " ", "\n", "#", "=", "~", ":"]))
    mutated = text[:position] + inserted + text[position:]
    try:
        parsed = parse_shell_vars(mutated)
    except ParseError:
        return
    names = [n for n in dict.fromkeys(a.name for a in parsed.assignments) if not _SH_SPECIAL.fullmatch(n)]
    if names and os.path.exists("/bin/sh"):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            assert _sh_values(mutated, names, Path(tmp)) == [parsed.get(n) for n in names]


# -- groups and settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv0", "group"),
    [("/etc/ha.d/resource.d/xendomainsHA1", "1"), ("xendomainsHA2", "2"), ("./xendomainsHAweb_3", "web_3")],
)
def test_group_from_the_script_name(argv0, group):
    assert group_from_argv0(argv0) == group


@pytest.mark.parametrize("argv0", ["xendomainsHA", "/etc/init.d/xendomains", "xendomainsHA1.sh", "xendomainsHA 1", ""])
def test_other_names_are_refused(argv0):
    with pytest.raises(ArgsError):
        group_from_argv0(argv0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "XENDOMAINS_AUTO is not set"),
        ("XENDOMAINS_AUTO=auto/HA1", "is not an absolute path"),
        ("XENDOMAINS_AUTO=/a XENDOMAINS_RESTORE=maybe", "XENDOMAINS_RESTORE='maybe' is not true or false"),
        ("XENDOMAINS_AUTO=/a XENDOMAINS_STOP_MAXWAIT=5m", "is not a number of seconds"),
        ("XENDOMAINS_AUTO=/a XENDOMAINS_MIGRATE='--live'", "expected one host name"),
        ("XENDOMAINS_AUTO=/a XENDOMAINS_MIGRATE='ha2 ha3'", "expected one host name"),
        ("XENDOMAINS_AUTO=/a XENHA_TOOLSTACK=libvirt", "is not auto, xl or xm"),
    ],
)
def test_bad_settings_are_config_errors(text, problem):
    with pytest.raises(ConfigError) as info:
        group_config("1", parse_shell_vars(text))
    assert info.value.reason.startswith("xendomainsHA1: ")
    assert problem in info.value.reason


def test_defaults_and_notes():
    cfg = group_config("7", parse_shell_vars("XENDOMAINS_AUTO=/x XENDOMAINS_STOP_MAXWAIT=0 XENDOMAINS_AUTO_ONLY=false"))
    assert (cfg.lockfile, cfg.stop_maxwait, cfg.start_maxwait, cfg.migrate, cfg.save_dir) == (
        "/run/xenha/hb1/xendomainsHA7", 300.0, 60.0, None, None,
    )  # fmt: skip
    assert any("XENDOMAINS_STOP_MAXWAIT=0" in n for n in cfg.notes)
    assert any("AUTO_ONLY=false is ignored" in n for n in cfg.notes)


def test_parse_migrate():
    assert parse_migrate("") is None
    assert parse_migrate("ha2X") == MigrateTarget("ha2X")
    assert parse_migrate("-s 'ssh -p 2222' ha2X") == MigrateTarget("ha2X", ("-s", "ssh -p 2222"))
    assert parse_migrate("ha2X --live -p 8002") == MigrateTarget("ha2X", ("--live", "-p", "8002"))
    with pytest.raises(ConfigError):
        parse_migrate("ha2X -s")
    with pytest.raises(ConfigError):
        parse_migrate("'ha2X")
    assert parse_migrate("--live ha2X") == MigrateTarget("ha2X", ("--live",))


def test_guest_names_from_configs():
    assert guest_from_text("/x/web1.cfg", "name = 'web1'\nmemory = 512\n").name == "web1"
    python_config = "import os\nname = \"db1\"\nmemory = int(os.environ.get('M', 512))\n"
    guest = guest_from_text("/x/db.cfg", python_config)
    assert (guest.name, guest.domu) == ("db1", None)
    assert guest.problem is not None and guest.problem.startswith("config /x/db.cfg: ")
    assert guest_from_text("/x/mail1", "exec('x')\n").name == "mail1"


# -- ownership and heartbeat's rule ------------------------------------------------------------------------------


def _we_own_resource_function() -> str:
    """`we_own_resource` exactly as the installed ResourceManager defines it."""
    text = RESOURCE_MANAGER.read_text()
    match = re.search(r"^we_own_resource\(\) \{\n.*?^\}\n", text, re.MULTILINE | re.DOTALL)
    assert match is not None, "we_own_resource() not found in ResourceManager"
    return match.group()


needs_heartbeat = pytest.mark.skipif(not RESOURCE_MANAGER.exists(), reason="heartbeat (Debian package) not installed")


def _heartbeat_verdicts(texts: list[str], tmp: Path) -> list[bool]:
    """Run heartbeat's own function on each text (as the output of a `status` script): True when it says held."""
    script = tmp / "status-script"
    script.write_text('#!/bin/sh\ncat "$STATUS_FILE"\n')
    script.chmod(0o755)
    harness = (
        f'resource2arg() {{ :; }}\nscriptpath() {{ echo "{script}"; }}\n{_we_own_resource_function()}'
        'for f in "$@"; do STATUS_FILE="$f"; export STATUS_FILE; we_own_resource xendomainsHA1; echo $?; done\n'
    )
    files = []
    for i, text in enumerate(texts):
        path = tmp / f"out{i}"
        path.write_text(text)
        files.append(str(path))
    done = subprocess.run(["/bin/sh", "-c", harness, "sh", *files], capture_output=True, text=True, check=True)
    codes = done.stdout.split()
    assert len(codes) == len(texts) and set(codes) <= {"0", "3"}, done.stdout
    return [c == "0" for c in codes]


@needs_heartbeat
def test_the_rule_in_the_installed_package_is_the_one_we_mirror():
    body = _we_own_resource_function()
    assert "*[Nn][Oo][Tt]\\ *[Rr]unning*)\treturn 3;;" in body
    assert "*[Rr]unning*|*OK*)\t\t\treturn 0;;" in body


@needs_heartbeat
def test_status_lines_are_read_right_in_every_case(tmp_path):
    cases: list[tuple[str, bool]] = []
    for group in ("1", "2", "not", "OK", "running", "knot", "x-not_"):
        name = f"xendomainsHA{group}"
        cases.append((status_line(name, Ownership.NOT_OWNED) + "\n", False))
        cases.append((status_line(name, Ownership.OWNED) + "\n", True))
        for live, total in ((0, 0), (0, 3), (2, 3), (10, 10)):
            cases.append((status_line(name, Ownership.OWNED, live=live, total=total) + "\n", True))
    # What xendomains copies print, and why xenha never prints guest names: "knot" reads as NOT held, "no domains
    # running" and a guest "OKAPI" read as held.
    cases += [
        ("Checking for xendomains: web1 knot  [running]\n", False),
        ("no domains running\n", True),
        ("Checking for xendomains:  [unused]\n", False),
        ("Checking for xendomains: OKAPI  [dead]\n", True),
    ]
    texts = [t for t, _ in cases]
    assert _heartbeat_verdicts(texts, tmp_path) == [held for _, held in cases]
    assert [heartbeat_owns(t) for t in texts] == [held for _, held in cases]


@needs_heartbeat
@settings(max_examples=40)
@given(group_names, st.booleans(), st.integers(0, 99), st.integers(0, 99), st.booleans())
def test_status_line_for_any_group_name(group, owned, live, total, counted):
    import tempfile

    held = Ownership.OWNED if owned else Ownership.NOT_OWNED
    line = status_line(f"xendomainsHA{group}", held, live=live if counted else None, total=total if counted else None)
    assert "\n" not in line
    with tempfile.TemporaryDirectory() as tmp:
        assert _heartbeat_verdicts([line + "\n"], Path(tmp)) == [owned]


@needs_heartbeat
@settings(max_examples=30)
@given(st.lists(st.text(st.sampled_from("notNOTruningRUNOK \n[]:x"), max_size=30), min_size=1, max_size=10))
def test_our_mirror_of_the_rule_agrees_with_heartbeat(texts):
    import tempfile

    texts = [t for t in texts if t.strip("\n")]  # $(...) of nothing but newlines is empty in both
    if not texts:
        return
    with tempfile.TemporaryDirectory() as tmp:
        assert _heartbeat_verdicts(texts, Path(tmp)) == [heartbeat_owns(t) for t in texts]


def test_ownership_rule():
    assert ownership(lock_present=True, live_guests=0) is Ownership.OWNED
    assert ownership(lock_present=True, live_guests=None) is Ownership.OWNED
    assert ownership(lock_present=False, live_guests=2) is Ownership.OWNED
    assert ownership(lock_present=False, live_guests=0) is Ownership.NOT_OWNED
    assert ownership(lock_present=False, live_guests=None) is Ownership.NOT_OWNED


@pytest.mark.parametrize(
    "value", ["1e400", "9" * 5000, "²", "١٢", "-5", "inf", "nan", "0.5", "1_000", "0x10", "86401", "99999999999999"]
)
@pytest.mark.parametrize("key", ["XENDOMAINS_STOP_MAXWAIT", "XENHA_START_MAXWAIT", "XENHA_DESTROY_MAXWAIT"])
def test_maxwait_values_that_are_not_small_whole_numbers_are_one_line_problems(key, value):
    """Issue 13: `²` passed str.isdigit() and 5,000 digits went to int(): tracebacks instead of a problem."""
    with pytest.raises(ConfigError) as info:
        group_config("1", parse_shell_vars(f"XENDOMAINS_AUTO=/a {key}='{value}'"))
    reason = info.value.reason
    assert "\n" not in reason and len(reason) < 200, reason
    assert f"{key}=" in reason and "is not a number of seconds (0 to 86400, whole)" in reason


def test_maxwait_of_a_day_is_accepted():
    cfg = group_config("1", parse_shell_vars("XENDOMAINS_AUTO=/a XENDOMAINS_STOP_MAXWAIT=86400"))
    assert cfg.stop_maxwait == 86400.0


# -- the group's lock file (issue 13: /var/lock is world-writable) ------------------------------------------------


def _hb1_env(tmp_path, defaults: str) -> dict[str, str]:
    (tmp_path / "default").mkdir(exist_ok=True)
    (tmp_path / "auto").mkdir(exist_ok=True)  # no guests: status needs no toolstack
    (tmp_path / "default" / "xendomainsHA1").write_text(f"XENDOMAINS_AUTO={tmp_path / 'auto'}\n{defaults}")
    return {
        "XENHA_HB1_DEFAULTS_DIR": str(tmp_path / "default"),
        "XENHA_RUN_DIR": str(tmp_path / "run"),
        "HA_LOGFACILITY": "none",
        "PATH": "/nonexistent",
    }


def _status(environ: dict[str, str]) -> tuple[int, str]:
    import io

    from xenha.tools.hb1_script import main

    out = io.StringIO()
    code = main(["/etc/ha.d/resource.d/xendomainsHA1", "status"], environ, out=out)
    return code, out.getvalue()


def test_a_lock_file_any_local_user_could_write_never_makes_the_group_held(tmp_path):
    from xenha.hb1.config import read_boot_id

    users = tmp_path / "var-lock"  # what /var/lock is: anyone may create files there
    users.mkdir(mode=0o1777)
    os.chmod(users, 0o1777)
    planted = users / "xendomainsHA1"
    planted.write_text(read_boot_id() + "\n")
    os.chown(planted, 65534, 65534)
    environ = _hb1_env(tmp_path, f"LOCKFILE={planted}\n")
    assert _status(environ) == (3, "xendomainsHA1: not running\n")
    # nor one planted in a lock directory another user owns (XENHA_RUN_DIR pointing into it)
    hb1 = tmp_path / "run" / "hb1"
    hb1.mkdir(parents=True, mode=0o700)
    (hb1 / "xendomainsHA1").write_text(read_boot_id() + "\n")
    assert _status(environ)[0] == 0  # root's own lock directory: believed
    os.chown(hb1, 65534, 65534)
    assert _status(environ) == (3, "xendomainsHA1: not running\n")


def test_start_writes_the_lock_in_the_root_only_directory_and_stop_removes_it(tmp_path):
    import io

    from xenha.hb1.config import read_boot_id
    from xenha.tools.hb1_script import main

    environ = _hb1_env(tmp_path, "")
    environ["PATH"] = str(tmp_path / "no-tools")  # no toolstack: start of an empty group still takes the lock
    out = io.StringIO()
    main(["xendomainsHA1", "start"], environ, out=out)
    lock = tmp_path / "run" / "hb1" / "xendomainsHA1"
    assert lock.read_text() == read_boot_id() + "\n"
    assert os.stat(lock.parent).st_mode & 0o777 == 0o700
    assert main(["xendomainsHA1", "stop"], environ, out=out) == 0
    assert not lock.exists()


def test_the_lock_is_never_written_through_a_symlink(tmp_path):
    from xenha.state import StateDir
    from xenha.tools.hb1_script import _write_lock

    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    locks = StateDir(str(tmp_path / "hb1"))
    locks.ensure()
    os.symlink(victim, tmp_path / "hb1" / "xendomainsHA1")
    _write_lock(locks, "xendomainsHA1", "boot")
    assert victim.read_text() == "precious\n"
    assert not os.path.islink(tmp_path / "hb1" / "xendomainsHA1")
    # the temporary name is made with O_EXCL|O_NOFOLLOW: a planted one fails the write, never follows
    os.symlink(victim, tmp_path / "hb1" / f"xendomainsHA1.tmp.{os.getpid()}")
    with pytest.raises(FileExistsError):
        _write_lock(locks, "xendomainsHA1", "boot2")
    assert victim.read_text() == "precious\n"


def test_start_refuses_an_untrusted_lock_directory_and_stop_still_succeeds(tmp_path, capsys):
    from xenha.tools.hb1_script import main

    environ = _hb1_env(tmp_path, "")
    hb1 = tmp_path / "run" / "hb1"
    hb1.mkdir(parents=True, mode=0o700)
    os.chown(hb1, 65534, 65534)
    assert main(["xendomainsHA1", "start"], environ) == 1
    assert "owned by uid 65534, not root" in capsys.readouterr().err
    assert main(["xendomainsHA1", "stop"], environ) == 0


def test_version(capsys):
    from xenha import __version__
    from xenha.tools.hb1_script import main

    assert main(["/etc/ha.d/resource.d/xendomainsHA1", "--version"], {}) == 0
    assert capsys.readouterr().out == f"xendomainsHA1 {__version__}\n"


@pytest.mark.parametrize(
    ("launcher", "name"),
    [
        ("heartbeat-v1/xendomainsHA1", "xendomainsHA1"),
        ("packaging/scripts/xenha-bootguard", "xenha-bootguard"),
        ("packaging/scripts/xenha-migrate", "xenha-migrate"),
    ],
)
def test_launchers_print_their_version(launcher, name):
    import subprocess
    from pathlib import Path

    from xenha import __version__

    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        ["/usr/bin/python3", "-IS", str(repo / launcher), "--version"],
        capture_output=True, text=True, timeout=30, check=False, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{name} {__version__}\n", "")


def test_a_computed_name_is_never_cut_to_its_literal_prefix():
    """`name = 'web' + suffix` named the guest "web", another guest stop would then act on (from the fuzz helper)."""
    assert guest_from_text("/x/web7.cfg", "suffix = '7'\nname = 'web' + suffix\n").name == "web7.cfg"
    assert guest_from_text("/x/w.cfg", "import os\nname = 'db1'  # the guest\n").name == "db1"
    assert guest_from_text("/x/w.cfg", 'import os\n  name\t=\t"db2"\t\n').name == "db2"


def test_stop_with_the_run_dir_under_a_file_goes_on_without_the_lock(tmp_path):
    """A lock directory that cannot exist must not fail a stop: heartbeat reboots the node after one (fuzz #D3)."""
    from xenha.tools.hb1_script import main

    environ = _hb1_env(tmp_path, "")
    (tmp_path / "run").write_text("")  # a file where XENHA_RUN_DIR should be a directory
    assert main(["xendomainsHA1", "stop"], environ) == 0
    assert main(["xendomainsHA1", "start"], environ) == 1  # start takes the lock or does nothing

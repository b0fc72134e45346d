# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""AoEExport: parameters, meta-data, the detached start, and real vblade in network namespaces (root only).

The namespace tests build one Ethernet segment that no other traffic can reach:

    ns T (target)                      ns C (client)
      t0 (vblade's nic) ---- veth ---- c0 -+
                                           +- br0: the test's AoE client (a raw socket) and foreign targets
      t1 (monitor_nic) ----- veth ---- c1 -+

Every namespace (and every process in it) is removed at teardown, also when a test fails.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xenha.agents import aoeexport
from xenha.agents.aoeexport import params_from
from xenha.aoe import export as aoe_export
from xenha.aoe.spawn import spawn_detached
from xenha.aoe.vblade import PidRecord, parse_pid_record, render_pid_record, same_export
from xenha.errors import ConfigError, NotInstalled, ToolError
from xenha.ocf import Env
from xenha.run import Deadline

REPO = Path(__file__).resolve().parents[2]
AGENT = REPO / "ocf" / "AoEExport"
DTD = Path("/usr/share/resource-agents/ra-api-1.dtd")
RNG = Path("/usr/share/resource-agents/metadata.rng")


def env(action: str = "start", **params: str) -> Env:
    environ = {f"OCF_RESKEY_{k}": v for k, v in params.items()}
    return Env.from_environ(environ, ["AoEExport", action], resource_type="AoEExport")


BASE = {"device": "/dev/drbd0", "shelf": "1", "slot": "0", "nic": "eth1"}


# --- parameters and meta-data (no privileges needed) -----------------------------------------------------------------


def test_params_defaults_and_options():
    p = params_from(env(**BASE))
    assert (p.device, p.shelf, p.slot, p.nic, p.read_only, p.mac_allow, p.buffers, p.monitor_nic) == (
        "/dev/drbd0",
        1,
        0,
        "eth1",
        False,
        (),
        None,
        None,
    )
    p = params_from(
        env(
            **BASE,
            read_only="yes",
            direct_io="1",
            sync_io="true",
            buffers="32",
            mac_allow="00163E000001, 00:16:3e:00:00:02",
            monitor_nic="eth2",
        )
    )
    assert p.vblade_args.read_only and p.direct_io and p.sync_io and p.buffers == 32 and p.monitor_nic == "eth2"
    assert p.mac_allow == ("00:16:3e:00:00:01", "00:16:3e:00:00:02")
    assert str(p.address) == "e1.0" and p.label == "vblade e1.0 on eth1"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"device": ""}, "device is required"),
        ({"device": "drbd0"}, "absolute path"),
        ({"nic": ""}, "nic is required"),
        ({"nic": "eth 1"}, "not a network interface name"),
        ({"shelf": ""}, "shelf is required"),
        ({"shelf": "65535"}, "broadcast shelf"),
        ({"shelf": "-1"}, "0 to 65534"),
        ({"slot": "255"}, "broadcast slot"),
        ({"slot": "x"}, "0 to 254"),
        ({"slot": "١"}, "0 to 254"),  # an Arabic-Indic digit: str.isdigit() would have let it through
        ({"read_only": "maybe"}, "not a boolean"),
        ({"buffers": "0"}, "1 to 65535"),
        ({"mac_allow": "00:16:3e"}, "not a MAC address"),
        ({"mac_allow": ",".join(f"00:16:3e:00:00:{i:02x}" for i in range(33))}, "at most 32"),
        ({"monitor_nic": "eth1"}, "must differ from nic"),
    ],
)
def test_params_rejects(change, why):
    with pytest.raises(ConfigError, match=why):
        params_from(env(**{**BASE, **change}))


def test_metadata_is_valid_for_ocf_tester_and_ocf_1_1():
    from lxml import etree

    from xenha.ocf.metadata import render_metadata

    doc = etree.fromstring(render_metadata(aoeexport.AGENT).encode())
    dtd = etree.DTD(str(DTD))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    rng = etree.RelaxNG(etree.parse(str(RNG)))
    assert rng.validate(doc), rng.error_log
    names = [p.get("name") for p in doc.find("parameters")]
    assert names == [
        "device",
        "shelf",
        "slot",
        "nic",
        "read_only",
        "mac_allow",
        "direct_io",
        "sync_io",
        "buffers",
        "monitor_nic",
    ]
    assert [p.get("name") for p in doc.findall("parameters/parameter[@required='1']")] == [
        "device",
        "shelf",
        "slot",
        "nic",
    ]
    for param in doc.find("parameters"):
        assert "Example" in param.findtext("longdesc") or "Default" in param.findtext("longdesc"), param.get("name")
    depths = sorted(a.get("depth") for a in doc.findall("actions/action[@name='monitor']"))
    assert depths == ["0", "10"]
    longdesc = doc.findtext("longdesc")
    for topic in ("start:", "stop:", "monitor:", "reload:", "Ordering:", "OCF_CHECK_LEVEL=10"):
        assert topic in longdesc


@given(st.integers(1, 2**22), st.lists(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1), min_size=1))
@settings(max_examples=50)
def test_pid_record_round_trip(pid, argv):
    record = PidRecord(pid, tuple(argv))
    assert parse_pid_record(render_pid_record(record)) == record
    assert render_pid_record(record).splitlines()[0] == str(pid)


@pytest.mark.parametrize(
    "text", ["", "12\n", "x\n[]\n", "12\nnot json\n", "12\n[]\n", '12\n{"a": 1}\n', "12\n[1]\n", "1\n2\n3\n"]
)
def test_foreign_pid_files_are_not_records(text):
    assert parse_pid_record(text) is None


def test_same_export_sees_through_an_interpreter():
    record = PidRecord(5, ("/usr/sbin/vblade", "--", "1", "0", "eth1", "/dev/drbd0"))
    assert same_export(list(record.argv), record)
    assert same_export(["/usr/bin/python3", *record.argv], record)  # the lab's simulated vblade is a script
    assert not same_export(["/usr/sbin/vblade", "--", "1", "1", "eth1", "/dev/drbd0"], record)
    assert not same_export(["/bin/sleep", "30"], record)


def test_stop_with_broken_parameters_falls_back_to_the_pid_file(tmp_path):
    state = tmp_path / "AoEExport"
    state.mkdir(mode=0o700)
    argv = ["/usr/sbin/vblade", "-r", "--", "7", "3", "eth9", "/srv/disk"]
    (state / "vblade-aoe9.pid").write_text(render_pid_record(PidRecord(4242, tuple(argv))))
    environ = {"XENHA_RUN_DIR": str(tmp_path), "OCF_RESOURCE_INSTANCE": "aoe9", "OCF_RESKEY_shelf": "oops"}
    stop_env = Env.from_environ(environ, ["AoEExport", "stop"], resource_type="AoEExport")
    p = params_from(stop_env)
    assert (p.shelf, p.slot, p.nic, p.device, p.read_only) == (7, 3, "eth9", "/srv/disk", True)
    with pytest.raises(ConfigError):
        params_from(Env.from_environ(environ, ["AoEExport", "start"], resource_type="AoEExport"))


# --- the detached start ---------------------------------------------------------------------------------------------

_DAEMON_PROBE = """
import os, signal, sys, time
print("fds", sorted(int(f) for f in os.listdir("/proc/self/fd")), flush=True)
print("stdin", os.readlink("/proc/self/fd/0"), flush=True)
print("cwd", os.getcwd(), "sid", os.getsid(0), "leader", os.getsid(0) == os.getpid(), "ppid", os.getppid(), flush=True)
print("sigusr1", signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL, flush=True)
print("blocked", sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])), flush=True)
sys.stderr.write("to stderr\\n")
time.sleep(30)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read() == b""
    except FileNotFoundError:
        return True


def test_spawn_detached_leaves_nothing_of_ours_in_the_daemon(tmp_path):
    log = tmp_path / "daemon.log"
    leak = os.open(os.devnull, os.O_RDONLY)  # inheritable: the daemon must not get it
    os.set_inheritable(leak, True)
    # An ignored signal and a blocked one, as an executor might hand them to the agent: the daemon gets neither.
    previous = signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
    try:
        pid = spawn_detached(
            [sys.executable, "-c", _DAEMON_PROBE], env={"PATH": "/usr/bin"}, log_path=str(log), deadline=Deadline(10)
        )
    finally:
        os.close(leak)
        signal.signal(signal.SIGUSR1, previous)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR2])
    try:
        deadline = time.monotonic() + 10
        while "to stderr" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = dict(line.split(" ", 1) for line in log.read_text().splitlines())
        assert lines["fds"] in ("[0, 1, 2]", "[0, 1, 2, 3]")  # 3: the listing's own directory descriptor
        assert lines["stdin"] == "/dev/null"
        cwd, _, sid, _, leader, _, ppid = lines["cwd"].split()
        # A new session (not ours), of which it is not the leader: it can never get a controlling terminal.
        assert cwd == "/" and int(sid) != os.getsid(0) and leader == "False" and int(ppid) != os.getpid()
        assert lines["sigusr1"] == "True" and lines["blocked"] == "[]"
        assert "to stderr" in log.read_text()
    finally:
        os.kill(pid, signal.SIGKILL)


def test_spawn_detached_reports_a_missing_binary(tmp_path):
    with pytest.raises(NotInstalled, match="cannot execute"):
        spawn_detached(["/nonexistent/vblade"], env={}, log_path=str(tmp_path / "l"), deadline=Deadline(10))


# --- real vblade in network namespaces --------------------------------------------------------------------------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def _netns_usable() -> str | None:
    if os.geteuid() != 0:
        return "network namespace tests need root"
    if shutil.which("ip") is None or shutil.which("vblade") is None:
        return "needs ip (iproute2) and vblade"
    probe = f"xaoe{os.getpid()}probe"
    try:
        _ip("netns", "add", probe)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"`ip netns add` does not work here: {exc}"
    subprocess.run(["ip", "netns", "del", probe], check=False, capture_output=True)
    return None


@dataclass
class Segment:
    """The two namespaces and what the tests started in them."""

    target: str
    client: str
    tmp: Path
    counter: list[int] = field(default_factory=lambda: [0])

    def environ(self, instance: str, **params: str) -> dict[str, str]:
        environ = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": str(REPO / "lib"),
            "XENHA_RUN_DIR": str(self.tmp / "run"),
            "OCF_ROOT": "/usr/lib/ocf",
            "OCF_RESOURCE_INSTANCE": instance,
            "OCF_RESKEY_CRM_meta_timeout": "20000",
            "HA_LOGFACILITY": "none",
        }
        environ.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
        return environ

    def agent(
        self,
        action: str,
        instance: str,
        params: Mapping[str, str],
        *,
        depth: int = 0,
        interval: int = 10000,
        path: str = "",
    ) -> Run:
        environ = self.environ(instance, **params)
        if path:
            environ["PATH"] = path
        environ["OCF_RESKEY_CRM_meta_interval"] = str(interval)
        if depth:
            environ["OCF_CHECK_LEVEL"] = str(depth)
        done = subprocess.run(
            ["ip", "netns", "exec", self.target, str(AGENT), action],
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def vblade(self, ns: str, *args: str) -> subprocess.Popen[bytes]:
        """A vblade not started by the agent, once it has printed its start-up line (it is bound and serving)."""
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "vblade", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(b"pid "), "vblade did not start"
        return proc

    def client_run(self, *args: str) -> dict[str, object]:
        """Run the AoE client in the client namespace; its JSON report."""
        code = "import sys, tests.agents.test_aoeexport as t; t.client_main(sys.argv[1:])"
        done = subprocess.run(
            ["ip", "netns", "exec", self.client, sys.executable, "-c", code, *args],
            env={"PYTHONPATH": f"{REPO}:{REPO / 'lib'}", "PATH": "/usr/bin:/bin"},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        report: dict[str, object] = json.loads(done.stdout)
        return report

    def mac(self, ns: str, ifname: str) -> str:
        done = subprocess.run(
            ["ip", "-n", ns, "-j", "link", "show", ifname], capture_output=True, text=True, check=True
        )
        mac: str = json.loads(done.stdout)[0]["address"]
        return mac

    def address(self) -> tuple[str, str]:
        """A fresh shelf and slot, so that no test sees another test's target."""
        self.counter[0] += 1
        return str(100 + self.counter[0]), str(self.counter[0] % 250)

    def kill_all(self) -> None:
        for ns in (self.target, self.client):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=False).stdout
            for pid in pids.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass


@dataclass(frozen=True)
class Run:
    rc: int
    stdout: str
    stderr: str

    @property
    def reason(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
        return lines[-1] if lines else ""


@pytest.fixture(scope="module")
def segment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Segment]:
    why = _netns_usable()
    if why is not None:
        pytest.skip(why)
    tag = f"xaoe{os.getpid()}"
    seg = Segment(target=f"{tag}t", client=f"{tag}c", tmp=tmp_path_factory.mktemp("aoe"))
    try:
        _ip("netns", "add", seg.target)
        _ip("netns", "add", seg.client)
        for ns in (seg.target, seg.client):
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", seg.client, "link", "add", "br0", "type", "bridge")
        for index in (0, 1):
            _ip(
                "-n",
                seg.target,
                "link",
                "add",
                f"t{index}",
                "type",
                "veth",
                "peer",
                "name",
                f"c{index}",
                "netns",
                seg.client,
            )
            _ip("-n", seg.client, "link", "set", f"c{index}", "master", "br0", "up")
            _ip("-n", seg.target, "link", "set", f"t{index}", "up")
        _ip("-n", seg.client, "link", "set", "br0", "up")
        yield seg
    finally:
        seg.kill_all()
        for ns in (seg.target, seg.client):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


@pytest.fixture
def export(segment: Segment, tmp_path: Path) -> Iterator[Export]:
    """A fresh backing file and address; every vblade the test started is killed afterwards."""
    disk = tmp_path / "disk.img"
    disk.write_bytes(random.Random(len(str(tmp_path))).randbytes(64 * 1024))  # 128 sectors
    shelf, slot = segment.address()
    exp = Export(segment, f"aoe{shelf}", {"device": str(disk), "shelf": shelf, "slot": slot, "nic": "t0"})
    try:
        yield exp
    finally:
        segment.kill_all()


@dataclass
class Export:
    seg: Segment
    instance: str
    params: dict[str, str]

    def __call__(self, action: str, *, depth: int = 0, **change: str) -> Run:
        return self.seg.agent(action, self.instance, {**self.params, **change}, depth=depth)

    def probe(self, **change: str) -> Run:
        return self.seg.agent("monitor", self.instance, {**self.params, **change}, interval=0)

    @property
    def pid_file(self) -> Path:
        return self.seg.tmp / "run" / "AoEExport" / f"vblade-{self.instance}.pid"

    def pid(self) -> int:
        return int(self.pid_file.read_text().split()[0])


def client_main(args: list[str]) -> None:
    """The AoE client (runs in the client namespace): query a target, then read sectors with ATA READ."""
    from xenha.aoe.channel import AoeChannel, query_config
    from xenha.aoe.vblade import AoeAddress
    from xenha.aoe.wire import SECTOR_SIZE, AtaBody, ConfigBody, ata_read, format_mac

    nic, shelf, slot, sectors, out = args[0], int(args[1]), int(args[2]), int(args[3]), args[4]
    address = AoeAddress(shelf, slot)
    answers = query_config(nic, address, Deadline(1.0))
    report: dict[str, object] = {"answers": [format_mac(a.header.src) for a in answers]}
    if answers and sectors:
        config = answers[0].body
        assert isinstance(config, ConfigBody)
        report.update(firmware=config.firmware, sector_count=config.sector_count, buffer_count=config.buffer_count)
        target = answers[0].header.src
        data = bytearray()
        with AoeChannel(nic) as channel:
            lba, tag = 0, 1000
            while lba < sectors + 1:  # one sector past the end, to see the target refuse it
                count = min(config.sector_count, sectors + 1 - lba)
                tag += 1
                channel.send(ata_read(channel.mac, target, address, tag=tag, lba=lba, count=count))
                wait = Deadline(2.0)
                while (reply := channel.receive(wait)) is not None:
                    if reply.header.is_response and reply.header.tag == tag:
                        break
                assert reply is not None, f"no answer for lba {lba}"
                body = reply.body
                assert isinstance(body, AtaBody)
                if body.command & 0x01:  # ATA status ERR
                    report["error_at"] = lba
                    break
                data += body.data[: count * SECTOR_SIZE]
                lba += count
        Path(out).write_bytes(bytes(data))
    print(json.dumps(report))


def _vblade_cmdline(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return [a.decode() for a in handle.read().rstrip(b"\0").split(b"\0")]


def test_client_in_another_namespace_reads_what_vblade_serves(export: Export, tmp_path: Path):
    assert export("start").rc == 0
    pid = export.pid()
    out = tmp_path / "read.bin"
    report = export.seg.client_run("br0", export.params["shelf"], export.params["slot"], "128", str(out))
    assert report["answers"] == [export.seg.mac(export.seg.target, "t0")]  # exactly one target answers: ours
    firmware, scnt = report["firmware"], report["sector_count"]
    assert isinstance(firmware, int) and firmware & 0xF000 == 0x4000  # vblade's FWV = 0x4000 + version
    assert isinstance(scnt, int) and scnt >= 1  # (MTU - 36) / 512
    assert report["error_at"] == 128  # reading past the end is refused (ATA IDNF)
    assert out.read_bytes() == Path(export.params["device"]).read_bytes()
    # vblade runs detached: a session of its own (not as leader), stdin /dev/null, output to our log.
    assert os.getsid(pid) not in (pid, os.getsid(0))
    assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    log = export.pid_file.with_suffix(".log")
    assert os.readlink(f"/proc/{pid}/fd/1") == os.readlink(f"/proc/{pid}/fd/2") == str(log)
    assert log.read_text().startswith(
        f"pid {pid}: e{export.params['shelf']}.{export.params['slot']}, 128 sectors O_RDWR"
    )
    assert _vblade_cmdline(pid) == [
        "/usr/sbin/vblade",
        "--",
        export.params["shelf"],
        export.params["slot"],
        "t0",
        export.params["device"],
    ]


def test_start_monitor_stop_and_probe_codes(export: Export):
    assert export.probe().rc == 7
    assert export("start").rc == 0
    pid = export.pid()
    assert export("monitor").rc == 0
    assert export.probe().rc == 0
    assert export("monitor", depth=10).rc == 0
    assert export("start").rc == 0 and export.pid() == pid  # idempotent: the same vblade
    assert export("stop").rc == 0
    assert _gone(pid) and not export.pid_file.exists()
    assert export("monitor").rc == 7
    assert export("stop").rc == 0


def test_a_vanished_vblade_or_stale_pid_file_is_not_running(export: Export):
    assert export("start").rc == 0
    os.kill(export.pid(), signal.SIGKILL)
    time.sleep(0.2)
    assert export.probe().rc == 7  # stale pid file: 7, not 1
    export.pid_file.write_text(
        render_pid_record(PidRecord(os.getpid(), ("/usr/sbin/vblade", "--", "1", "2", "t0", "/x")))
    )
    assert export.probe().rc == 7  # a live pid that is not our vblade
    export.pid_file.write_text("garbage\n")
    assert export.probe().rc == 7
    assert export("stop").rc == 0 and not export.pid_file.exists()


def test_deep_monitor_notices_a_deleted_device_and_stop_still_succeeds(export: Export):
    assert export("start").rc == 0
    Path(export.params["device"]).unlink()
    assert export("monitor").rc == 0  # depth 0 only looks at the process
    deep = export("monitor", depth=10)
    assert deep.rc == 1 and "is deleted in vblade pid" in deep.reason
    assert export("validate-all").rc == 5  # the device is not on this node any more
    assert export("stop").rc == 0  # the peer agent returns 5 here, which gets the node fenced


def test_start_refuses_when_another_target_answers_on_the_segment(export: Export):
    p = export.params
    foreign = export.seg.vblade(export.seg.client, p["shelf"], p["slot"], "br0", p["device"])
    try:
        run = export("start")
        assert run.rc == 1
        assert f"target e{export.params['shelf']}.{export.params['slot']} already answers on the segment" in run.reason
        assert not export.pid_file.exists()
    finally:
        foreign.kill()
        foreign.wait()


def test_start_refuses_a_local_vblade_and_stop_removes_it(export: Export):
    p = export.params
    stray = export.seg.vblade(export.seg.target, p["shelf"], p["slot"], "t0", p["device"])
    run = export("start")
    assert run.rc == 1 and "not started by this resource" in run.reason
    assert export("stop").rc == 0  # stop guarantees the address is no longer served from this node
    stray.wait(timeout=10)
    assert stray.returncode == -signal.SIGTERM


def test_vblade_that_exits_at_start_up_fails_the_start_with_its_message(export: Export, tmp_path: Path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "vblade"
    fake.write_text("#!/bin/sh\necho 'open: Wrong medium type' >&2\nexit 1\n")  # a DRBD device that is Secondary
    fake.chmod(0o755)
    run = export.seg.agent("start", export.instance, export.params, path=f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin")
    assert run.rc == 1
    assert "exited during start-up: open: Wrong medium type" in run.reason
    assert not export.pid_file.exists()


def test_a_vblade_that_exits_between_two_looks_is_blamed_with_its_last_words(tmp_path: Path, monkeypatch):
    """The start-up race of the test above, made deterministic: vblade writes its message and exits just as the agent
    looks at it. Asking whether it runs before reading its log sees the message; the reverse order read "no message"."""
    log = tmp_path / "vblade.log"
    log.write_text("")

    def writes_and_exits(pid: int) -> None:
        with log.open("a") as handle:
            handle.write("open: Wrong medium type\n")

    monkeypatch.setattr(aoe_export, "read_cmdline", writes_and_exits)
    with pytest.raises(ToolError, match="exited during start-up: open: Wrong medium type"):
        aoe_export.startup_seen(params_from(env(**BASE)).vblade_args, 4242, str(log))


def test_node_problems_give_installed_and_configured_codes(export: Export, tmp_path: Path):
    assert export("start", nic="nosuch0").rc == 5
    assert export("start", device=str(tmp_path / "missing")).rc == 5
    assert export("start", device=str(tmp_path)).rc == 6  # a directory
    assert export("start", shelf="65535").rc == 6
    assert export.probe(shelf="65535").rc == 7  # a probe never fails on configuration
    _ip("-n", export.seg.target, "link", "set", "t1", "down")
    try:
        run = export("start", nic="t1")
        assert run.rc == 1 and "t1: interface is down" in run.reason
    finally:
        _ip("-n", export.seg.target, "link", "set", "t1", "up")


def test_reload_restarts_a_running_export_and_never_starts_a_stopped_one(export: Export):
    assert export("reload").rc == 7
    assert not export.pid_file.exists()
    assert export("start").rc == 0
    old = export.pid()
    assert export("reload").rc == 0 and export.pid() == old  # nothing changed
    assert export("reload", read_only="true", buffers="8").rc == 0
    new = export.pid()
    assert new != old and _gone(old)
    assert _vblade_cmdline(new)[1:5] == ["-b", "8", "-r", "--"]
    assert export("monitor", read_only="true", buffers="8").rc == 0


def test_stop_with_a_broken_configuration_stops_the_recorded_vblade(export: Export):
    assert export("start").rc == 0
    pid = export.pid()
    assert export("stop", shelf="not-a-number").rc == 0
    assert _gone(pid)


def test_monitor_nic_checks_the_target_over_the_wire(export: Export):
    assert export("start", monitor_nic="t1").rc == 0
    assert export("monitor", depth=10, monitor_nic="t1").rc == 0
    p = export.params
    # A second target with our address appears on the segment: the wire check sees two answers.
    foreign = export.seg.vblade(export.seg.client, p["shelf"], p["slot"], "br0", p["device"])
    try:
        deep = export("monitor", depth=10, monitor_nic="t1")
        assert deep.rc == 1 and "another target answers" in deep.reason
    finally:
        foreign.kill()
        foreign.wait()


@pytest.mark.slow
def test_ocf_tester_passes(export: Export):
    if shutil.which("ocf-tester") is None:
        pytest.skip("ocf-tester (resource-agents) is not installed")
    p = export.params
    options = [arg for k in ("device", "shelf", "slot", "nic") for arg in ("-o", f"{k}={p[k]}")]
    # ocf-tester runs the agent file directly, also as nobody (`su nobody` for meta-data): PYTHONPATH reaches the
    # launcher through the environment, which util-linux su keeps without --login.
    environ: Mapping[str, str] = export.seg.environ(export.instance)
    environ = {k: v for k, v in environ.items() if not k.startswith("OCF_RESKEY_") and k != "OCF_RESOURCE_INSTANCE"}
    done = subprocess.run(
        ["ip", "netns", "exec", export.seg.target, "ocf-tester", "-n", export.instance, *options, str(AGENT)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{AGENT} passed all tests" in done.stdout


@pytest.mark.parametrize(
    "change",
    [{"monitor_nic": "9" * 5000}, {"nic": "é" * 300}, {"mac_allow": "-m" * 2000}, {"device": "/" + "é" * 3000}],
)
def test_every_exit_reason_fits_in_pacemakers_128_bytes(tmp_path, change):
    """Found by the fuzz suite (#13): a reason quoting a whole 5,000-character value was 5,072 bytes long."""
    import contextlib
    import io

    environ = {"XENHA_RUN_DIR": str(tmp_path), "HA_LOGFACILITY": "none", "OCF_RESOURCE_INSTANCE": "aoe9",
               **{f"OCF_RESKEY_{k}": v for k, v in {**BASE, **change}.items()}}  # fmt: skip
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = aoeexport.main(["AoEExport", "validate-all"], environ)
    reasons = [line for line in err.getvalue().splitlines() if line.startswith("ocf-exit-reason:")]
    assert code != 0 and len(reasons) == 1
    assert len(reasons[0].removeprefix("ocf-exit-reason:").encode()) <= 127

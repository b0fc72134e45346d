# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""A lab node's supervisor: private mounts and host name, then corosync and pacemakerd; reaps children.

Run as `ip netns exec NS unshare --mount --uts --ipc --propagation private python3 -m xenha_sim.labnode
NODE NODEDIR SIMBIN TOOLS`. Its pid (written to NODEDIR/supervisor.pid) is what `xenha-lab exec` enters.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

# Private copies of what pacemaker and corosync write; /run and /dev/shm are fresh tmpfs.
BIND_DIRS = ("/etc/corosync", "/var/lib/pacemaker", "/var/lib/corosync", "/var/log")


def _mount(argv: list[str]) -> None:
    subprocess.run(["mount", *argv], check=True)


def setup(node: str, nodedir: str, simbin: str, tools: list[str]) -> None:
    """Give this mount/UTS namespace the node's private trees and name."""
    _mount(["-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run"])
    for sub in ("crm", "corosync", "pacemaker", "lock", "xenha"):
        os.makedirs(f"/run/{sub}", exist_ok=True)
    subprocess.run(["chown", "hacluster:haclient", "/run/crm"], check=True)
    # 8 MB of /dev/shm is not enough for pacemaker's IPC buffers ("No space left on device").
    _mount(["-t", "tmpfs", "-o", "size=128m,mode=1777", "tmpfs", "/dev/shm"])
    for path in BIND_DIRS:
        _mount(["--bind", f"{nodedir}{path}", path])
    _mount(["--bind", f"{nodedir}/etc/hosts", "/etc/hosts"])
    # Callers that use absolute paths (/usr/sbin/drbdadm) must reach the simulator too.
    for tool in tools:
        sim = os.path.join(simbin, tool)
        for real in (f"/usr/sbin/{tool}", f"/sbin/{tool}"):
            if os.path.exists(sim) and os.path.isfile(real) and not os.path.islink(real):
                _mount(["--bind", sim, real])
    socket.sethostname(node)


def main(argv: list[str]) -> int:
    node, nodedir, simbin, tools = argv[1], argv[2], argv[3], argv[4].split(",")
    setup(node, nodedir, simbin, [t for t in tools if t])
    logs = open(f"{nodedir}/var/log/lab-daemons.out", "ab")  # noqa: SIM115 -- handed to the daemons
    corosync = subprocess.Popen(["corosync", "-f"], stdin=subprocess.DEVNULL, stdout=logs, stderr=logs)
    deadline = time.monotonic() + 10
    while subprocess.run(["corosync-cfgtool", "-s"], capture_output=True, check=False).returncode != 0:
        if time.monotonic() > deadline or corosync.poll() is not None:
            return 1
        time.sleep(0.1)
    subprocess.Popen(["pacemakerd"], stdin=subprocess.DEVNULL, stdout=logs, stderr=logs)
    with open(f"{nodedir}/supervisor.pid.tmp", "w") as handle:
        handle.write(str(os.getpid()))
    os.replace(f"{nodedir}/supervisor.pid.tmp", f"{nodedir}/supervisor.pid")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:  # reap whatever the daemons leave behind; we are their parent
        try:
            os.wait()
        except ChildProcessError:
            time.sleep(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

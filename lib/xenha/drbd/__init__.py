# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""DRBD: state names and the common view (model), its sources, the commands, the guard and the split-brain marks.

Hot (a monitor imports them): model (states, DrbdVolume), proc (/proc/drbd), status9 (`drbdsetup status --json`).
Cold: progress (/proc/drbd resync and proc_details lines), adm (drbdadm/drbdsetup outputs and error transcripts),
events2, cmd (argv builders), guard (XenDomainHA's and the tools' DRBD checks), marks (split-brain marks).
"""

# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
# BASH_ENV shim so LINBIT's ocf:linbit:drbd runs unchanged on the xenha simulator (no DRBD kernel module).
# The agent tests `-f /proc/drbd` (module loaded?) and `-b /dev/drbdN` (device node present?); the simulator
# keeps /proc/drbd at $XENHA_PROC_DRBD and has no device nodes, so both tests are answered from the world.
# Use: BASH_ENV=/path/to/ocf_drbd_shim.bash in the agent's environment (pacemaker: /etc/default/pacemaker).
test() {
	if [[ $# -eq 2 && $1 == -f && $2 == /proc/drbd && -n $XENHA_PROC_DRBD ]]; then
		builtin test -f "$XENHA_PROC_DRBD"
		return
	fi
	if [[ $# -eq 2 && $1 == -b && $2 == /dev/drbd* && -n $XENHA_PROC_DRBD ]]; then
		local minor=${2#/dev/drbd}
		builtin test -f "$XENHA_PROC_DRBD" && grep -q "^ *$minor: cs:" "$XENHA_PROC_DRBD" 2>/dev/null && return 0
		drbdsetup dstate "$minor" >/dev/null 2>&1
		return
	fi
	builtin test "$@"
}

"""DRBD: the common view and its sources (/proc/drbd, drbdsetup status), commands, the guard, split-brain marks."""

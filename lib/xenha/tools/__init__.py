"""Programs that may print and exit: xenha inspect, the boot guard, the migration ledger CLI, the heartbeat script."""

"""heartbeat v1: haresources, the xendomainsHA defaults files, the migration ledger."""

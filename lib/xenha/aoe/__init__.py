"""ATA over Ethernet: vblade's command line and pid record (vblade, hot), /proc (proc, hot), interfaces (netif),
the start-up log (startup), frames (wire), the raw-socket client (channel), and the detached daemon (spawn)."""

"""ATA over Ethernet: vblade exports, the AoE wire format, aoetools output."""

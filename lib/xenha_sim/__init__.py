"""The lab's simulated Xen, DRBD and OCFS2 toolstacks over a shared world state (never imported by xenha)."""

"""Xen: the xl/xm listings and their states, domU configs, the toolstack client, shared decisions."""

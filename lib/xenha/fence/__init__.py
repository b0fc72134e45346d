"""Fence agents: the fence-agents protocol and fence_noop."""

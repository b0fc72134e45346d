"""Parsers that only tests need: independent readings of tool output that no product code reads."""

"""Arbiter gateway: the public Ask stream, sessions and plan execution."""

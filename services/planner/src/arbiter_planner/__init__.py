"""Arbiter's planner: the pattern fast path, intent classification, filter selection
and plans of steps with dependencies."""

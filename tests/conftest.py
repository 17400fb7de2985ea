"""Root of the test tree: each area (kit, search, planner, ...) has its own folder and
conftest; shared fixtures that start real things live in tests/support."""

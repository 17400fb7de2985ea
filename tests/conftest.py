"""Root of the test tree: each area (kit, search, planner, ...) has its own folder and
conftest. What more than one area uses (servers started on 127.0.0.1:0, the real search
service, the corpus, the test model server, session readers, bounded waiting) lives in
tests/support and is imported from there, never from another area's conftest."""

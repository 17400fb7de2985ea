"""The fuzz suite: hostile requests for every RPC of every service, against the suite
started as processes (`make test` runs a bounded slice, `make fuzz` the full count)."""

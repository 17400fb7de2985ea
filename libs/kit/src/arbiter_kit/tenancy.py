"""Who a call acts for: the tenant every store is scoped by, and the caller's key and role.

The gateway sets these from the caller's API key; it sends the tenant to the workers in
metadata (`TENANT_HEADER`), and a worker believes that header only from the gateway's own
identity (see docs/security.md). Code that reads or writes a store asks `current_tenant()`
and never takes a tenant from a request body."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

DEFAULT_TENANT = "default"
"""The tenant of a suite that runs without keys (a single-tenant install)."""
TENANT_HEADER = "x-arbiter-tenant"
"""Metadata that carries the tenant from the gateway to the workers."""


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of this call."""

    tenant: str = DEFAULT_TENANT
    key_id: str = ""
    """The API key's public id (its prefix); empty when the suite runs without keys."""
    role: str = ""
    """`ask`, `ingest` or `admin`; empty when the suite runs without keys."""


# Caller is frozen: the shared default cannot be changed through the variable.
caller: contextvars.ContextVar[Caller] = contextvars.ContextVar(
    "caller",
    default=Caller(),  # noqa: B039
)


def current_tenant() -> str:
    """The tenant this call acts for."""
    return caller.get().tenant

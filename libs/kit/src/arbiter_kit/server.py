"""The shared server: a `grpc.aio` server with health, reflection, interceptors,
limits, a metrics port and SIGTERM draining. A service supplies its servicers only."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from arbiter_kit.bulkhead import Bulkhead
from arbiter_kit.config import ServerConfig, env_str
from arbiter_kit.interceptors import server_interceptors
from arbiter_kit.logs import configure_logging
from arbiter_kit.memory import trim_periodically, tune_malloc
from arbiter_kit.metrics import MetricsEndpoint

log = logging.getLogger(__name__)

HARD_CAP_FACTOR = 4
"""gRPC's own limit on calls in progress is this many times the bulkhead, plus
HARD_CAP_HEADROOM. The bulkhead (an interceptor) bounds the service's work and leaves
probes free; gRPC's limit counts every call, probes included, so it stays far above the
bulkhead as a safety net only: it refuses a flood before any Python code runs for it,
bounding the memory a storm of calls (each refused at once, but all alive together) can
take."""
HARD_CAP_HEADROOM = 1024


@dataclass(frozen=True)
class Service:
    """One gRPC service a server hosts."""

    name: str
    """Full service name, e.g. `arbiter.planner.v1.PlannerService`."""
    servicer: Any
    """The servicer instance."""
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    """The generated `add_<Service>Servicer_to_server` function."""


class ServiceServer:
    """A running (or ready to run) Arbiter service process's gRPC server."""

    def __init__(self, *, name: str, config: ServerConfig, services: Sequence[Service]) -> None:
        self.name = name
        self.config = config
        self.services = tuple(services)
        self.health = health.aio.HealthServicer()  # type: ignore[attr-defined]
        self.port = 0
        self.metrics_port: int | None = None
        self._server: grpc.aio.Server | None = None
        self._metrics: MetricsEndpoint | None = None
        self._stopped = False
        self._trimmer: asyncio.Task[None] | None = None

    async def start(self) -> int:
        """Bind, start serving, mark every service SERVING; returns the bound port."""
        c = self.config
        # Process-wide and idempotent: before the first request, so no request buffer
        # has raised glibc's thresholds and no request's thread has an arena yet.
        malloc_settings = tune_malloc()
        bulkhead = Bulkhead(c.max_concurrent_rpcs, retry_after=c.retry_after_seconds)
        server = grpc.aio.server(
            interceptors=server_interceptors(bulkhead=bulkhead),
            maximum_concurrent_rpcs=HARD_CAP_FACTOR * c.max_concurrent_rpcs + HARD_CAP_HEADROOM,
            options=[
                ("grpc.max_receive_message_length", c.max_message_bytes),
                ("grpc.max_send_message_length", c.max_message_bytes),
                ("grpc.keepalive_time_ms", c.keepalive_time_ms),
                ("grpc.keepalive_timeout_ms", c.keepalive_timeout_ms),
                ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
                ("grpc.keepalive_permit_without_calls", 1),
                # With SO_REUSEPORT (gRPC's default) a port picked for ":0" can be one a
                # stopping server still listens on, and calls reach the dying one
                # (grpc/grpc#10755). One process per port is all a service needs.
                ("grpc.so_reuseport", 0),
            ],
        )
        for service in self.services:
            service.add_to_server(service.servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        names = [s.name for s in self.services]
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
        )
        self.port = server.add_insecure_port(f"{c.host}:{c.port}")
        await server.start()
        self._server = server
        for service_name in ["", *names]:
            await self.health.set(service_name, health_pb2.HealthCheckResponse.SERVING)
        if c.metrics_port is not None:
            self._metrics = MetricsEndpoint(c.host, c.metrics_port)
            self.metrics_port = self._metrics.port
        self._trimmer = asyncio.create_task(trim_periodically(c.trim_every_seconds))
        log.info(
            "serving",
            extra={
                "service": self.name,
                "port": self.port,
                "metrics_port": self.metrics_port,
                "malloc": malloc_settings,
            },
        )
        return self.port

    async def stop(self, grace: float | None = None) -> None:
        """Drain: report NOT_SERVING, refuse new calls, let in-flight ones finish."""
        if self._server is None or self._stopped:
            return
        self._stopped = True
        await self.health.enter_graceful_shutdown()
        await self._server.stop(self.config.grace_seconds if grace is None else grace)
        if self._trimmer is not None:
            self._trimmer.cancel()
        if self._metrics is not None:
            self._metrics.close()
        log.info("stopped", extra={"service": self.name})

    async def wait(self) -> None:
        if self._server is not None:
            await self._server.wait_for_termination()


async def run_until_signalled(server: ServiceServer) -> None:
    """Serve until SIGTERM or SIGINT, then drain within the configured grace."""
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.stop()


ServicesFactory = Callable[
    [],
    Sequence[Service]
    | Awaitable[Sequence[Service]]
    | AbstractAsyncContextManager[Sequence[Service]],
]
"""What builds a service's servicers: a plain function, a coroutine function, or an
async context manager (for dependencies to close on shutdown, e.g. channels)."""


@contextlib.asynccontextmanager
async def built_server(
    name: str, config: ServerConfig, build_services: ServicesFactory
) -> AsyncIterator[ServiceServer]:
    """A server (not yet started) over the built services; their dependencies close
    when the block ends, after the caller has stopped the server."""
    async with _built(build_services) as services:
        yield ServiceServer(name=name, config=config, services=services)


async def serve(name: str, config: ServerConfig, build_services: ServicesFactory) -> None:
    """Build the services, serve them until SIGTERM/SIGINT, drain, clean up."""
    async with built_server(name, config, build_services) as server:
        await run_until_signalled(server)


def main_for(
    name: str,
    default_port: int,
    build_services: ServicesFactory,
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """A service's whole `__main__`: JSON logs, config from `<NAME>_*`, serve, drain.

    The log level comes from `<NAME>_LOG_LEVEL`, else `LOG_LEVEL`, else INFO.
    """
    e = os.environ if env is None else env
    prefix = name.upper().replace("-", "_")
    level = env_str(e, f"{prefix}_LOG_LEVEL", env_str(e, "LOG_LEVEL", "INFO"))
    configure_logging(name, level=level)
    config = ServerConfig.from_env(prefix, default_port=default_port, env=e)
    asyncio.run(serve(name, config, build_services))


@contextlib.asynccontextmanager
async def _built(build_services: ServicesFactory) -> AsyncIterator[Sequence[Service]]:
    built = build_services()
    if isinstance(built, AbstractAsyncContextManager):
        async with built as services:
            yield services
    elif inspect.isawaitable(built):
        yield await built
    else:
        yield built

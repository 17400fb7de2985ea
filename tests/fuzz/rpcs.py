"""Every RPC of every Arbiter service, read from the generated descriptors, so an RPC
added to a proto is fuzzed without a change here."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass
from typing import cast

import arbiter
from google.protobuf import message_factory
from google.protobuf.descriptor import (
    Descriptor,
    FieldDescriptor,
    FileDescriptor,
    MethodDescriptor,
)
from google.protobuf.message import Message


@dataclass(frozen=True)
class Rpc:
    """One method of one service, with the message classes of its two sides."""

    service: str
    """The process that serves it (`search` for `arbiter.search.v1.SearchService`)."""
    method: MethodDescriptor
    request_type: type[Message]
    response_type: type[Message]

    @property
    def name(self) -> str:
        """`SearchService/Ingest`: short, unique, what a report names."""
        return f"{self.method.containing_service.name}/{self.method.name}"

    @property
    def path(self) -> str:
        """The HTTP/2 path a call goes to."""
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def request_descriptor(self) -> Descriptor:
        return cast(Descriptor, self.request_type.DESCRIPTOR)

    @property
    def streams_requests(self) -> bool:
        return bool(self.method.client_streaming)

    @property
    def streams_responses(self) -> bool:
        return bool(self.method.server_streaming)


def _proto_files() -> list[FileDescriptor]:
    """The descriptors of every generated `*_pb2` module under the `arbiter` package."""
    files = []
    for module in pkgutil.walk_packages(arbiter.__path__, prefix="arbiter."):
        if module.name.endswith("_pb2"):
            files.append(importlib.import_module(module.name).DESCRIPTOR)
    return files


@functools.cache
def contract_field_names() -> frozenset[str]:
    """The name of every field of every message of the contract: public words, so a
    dotted path made of them (`verdict.recommended_outcome.kind`) names a request's
    field, not a module."""
    names: set[str] = set()
    pending = [m for f in _proto_files() for m in f.message_types_by_name.values()]
    while pending:
        message = pending.pop()
        names.update(f.name for f in message.fields)
        pending.extend(message.nested_types)
    return frozenset(names)


def all_rpcs() -> list[Rpc]:
    """Every RPC of every service, in a stable order (service, then method)."""
    rpcs = []
    for file in _proto_files():
        for service in file.services_by_name.values():
            # arbiter.<process>.v1.<Service>: the package names the process serving it.
            process = service.full_name.split(".")[1]
            for method in service.methods:
                rpcs.append(
                    Rpc(
                        service=process,
                        method=method,
                        request_type=message_factory.GetMessageClass(method.input_type),
                        response_type=message_factory.GetMessageClass(method.output_type),
                    )
                )
    return sorted(rpcs, key=lambda r: r.path)


def fields(message: Message) -> list[FieldDescriptor]:
    """The fields `message` declares (upb's descriptors, typed as the ones they mirror)."""
    return cast(list[FieldDescriptor], list(message.DESCRIPTOR.fields))

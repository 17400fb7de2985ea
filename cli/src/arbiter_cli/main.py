"""`arbiter ask`, `arbiter ingest` and `arbiter eval`: the gateway's and search's command
line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import grpc
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_kit.addresses import local_target
from google.protobuf import json_format

from arbiter_cli import eval as evaluation
from arbiter_cli import eval_judge, eval_sql, findings, session_log
from arbiter_cli.data_view import chart_dir
from arbiter_cli.render import EventPrinter

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


def _parse_filters(raw: list[str]) -> list[common_pb2.MetadataFilter]:
    filters = []
    for item in raw:
        field, _, values = item.partition("=")
        if not field or not values:
            raise SystemExit(f"--filter wants FIELD=VALUE[,VALUE...], got {item!r}")
        filters.append(common_pb2.MetadataFilter(field=field, any_of=values.split(",")))
    return filters


def ask(args: argparse.Namespace) -> int:
    request = gateway_pb2.AskRequest(
        question=args.question, filters=_parse_filters(args.filter or [])
    )
    charts = None if args.no_chart else (args.charts or chart_dir())
    printer = EventPrinter(show_sql=args.sql, charts=charts)
    with grpc.insecure_channel(args.gateway) as channel:
        stub = gateway_pb2_grpc.GatewayServiceStub(channel)
        try:
            for response in stub.Ask(request, timeout=args.timeout):
                event = response.event
                if args.json:
                    print(json_format.MessageToJson(event, indent=None), flush=True)
                else:
                    printer.show(event)
                kind = event.WhichOneof("payload")
                if kind == "final_response":
                    return EXIT_OK
                if kind == "error":
                    return EXIT_FAILED
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            print(f"arbiter: {getattr(code, 'name', 'ERROR')}: {details}", file=sys.stderr)
            return EXIT_UNREACHABLE if code == grpc.StatusCode.UNAVAILABLE else EXIT_FAILED
    print("arbiter: the stream ended without a final response", file=sys.stderr)
    return EXIT_FAILED


def ingest(args: argparse.Namespace) -> int:
    from arbiter.search.v1 import search_pb2, search_pb2_grpc

    from arbiter_cli.ingest import run_ingest

    if args.if_empty:
        with grpc.insecure_channel(args.search) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            info = stub.GetCorpusInfo(search_pb2.GetCorpusInfoRequest(), timeout=30)
        if info.chunks > 0:
            print(f"the corpus is already ingested ({info.chunks} chunks); nothing to do")
            return EXIT_OK
    return run_ingest(args.path, target=args.search)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="arbiter", description="Ask Arbiter; feed it documents.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("ask", help="ask a question and watch the work")
    a.add_argument("question")
    a.add_argument("--json", action="store_true", help="one proto3 JSON event per line")
    a.add_argument("--filter", action="append", metavar="FIELD=V1,V2", help="restrict retrieval")
    a.add_argument("--sql", action="store_true", help="show the SQL behind a data answer")
    a.add_argument(
        "--charts",
        type=Path,
        metavar="DIR",
        help="save a data answer's chart as DIR/<session>.png "
        "(default $ARBITER_CHART_DIR, else .data/charts)",
    )
    a.add_argument("--no-chart", action="store_true", help="do not save the chart")
    a.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    a.add_argument("--gateway", default=os.environ.get("ARBITER_GATEWAY", local_target("gateway")))
    a.set_defaults(func=ask)
    i = sub.add_parser(
        "ingest", help="ingest a JSONL corpus, or a folder of markdown files with a contents.json"
    )
    i.add_argument("path")
    i.add_argument("--if-empty", action="store_true", help="only when the store is empty")
    i.add_argument("--search", default=os.environ.get("ARBITER_SEARCH", local_target("search")))
    i.set_defaults(func=ingest)
    evaluation.add_command(sub)
    eval_sql.add_command(sub)
    eval_judge.add_command(sub)
    findings.add_command(sub)
    session_log.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()

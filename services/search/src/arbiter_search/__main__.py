"""`python -m arbiter_search`: serve the SearchService (SEARCH_* and MILVUS_* settings)."""

from __future__ import annotations

import asyncio
import logging
import sys

from arbiter_kit.config import ServerConfig
from arbiter_kit.errors import ArbiterError
from arbiter_kit.logs import configure_logging
from arbiter_kit.server import run_until_signalled

from arbiter_search.config import SearchConfig
from arbiter_search.server import search_server

DEFAULT_PORT = 50053

log = logging.getLogger("arbiter_search")


async def serve(server_config: ServerConfig, config: SearchConfig) -> None:
    async with search_server(server_config, config) as server:
        await run_until_signalled(server)


def main() -> None:
    configure_logging("search")
    try:
        server_config = ServerConfig.from_env("SEARCH", default_port=DEFAULT_PORT)
        asyncio.run(serve(server_config, SearchConfig.from_env()))
    except ArbiterError as exc:
        # Bad settings, or a store that cannot be opened: say which, without a traceback.
        log.error("cannot start: %s", exc.message)
        sys.exit(1)


if __name__ == "__main__":
    main()

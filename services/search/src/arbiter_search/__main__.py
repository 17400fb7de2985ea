"""`python -m arbiter_search`: serve the SearchService (SEARCH_* and MILVUS_* settings)."""

from __future__ import annotations

import logging
import sys

from arbiter_kit.errors import ArbiterError
from arbiter_kit.server import main_for
from arbiter_llm import LLMConfig

from arbiter_search.config import SearchConfig
from arbiter_search.research.config import ResearchConfig
from arbiter_search.server import search_services

DEFAULT_PORT = 50053

log = logging.getLogger("arbiter_search")


def main() -> None:
    try:
        main_for(
            "search",
            DEFAULT_PORT,
            lambda: search_services(
                SearchConfig.from_env(),
                llm=LLMConfig.from_env(),
                research=ResearchConfig.from_env(),
            ),
        )
    except ArbiterError as exc:
        # Bad settings, or a store that cannot be opened: say which, without a traceback.
        log.error("cannot start: %s", exc.message)
        sys.exit(1)


if __name__ == "__main__":
    main()

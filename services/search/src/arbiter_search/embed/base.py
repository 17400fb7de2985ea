"""The `Embedder` interface: text in, unit-length dense vectors out, for the dense leg of
hybrid retrieval. Implementations: the offline model committed with the package
(`embed.local`) and any OpenAI-compatible embeddings endpoint (`embed.openai_compatible`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from arbiter_kit.deadline import Deadline

Vector = list[float]


class Embedder(Protocol):
    """Turns passages and queries into vectors of one model, of `dim` dimensions.

    `name` identifies the model (and anything else that changes its vectors): a
    collection records the name that filled it and refuses another.
    """

    name: str
    dim: int

    async def embed_documents(
        self, texts: Sequence[str], *, deadline: Deadline | None = None
    ) -> list[Vector]:
        """One vector per text, in order. Heavy work runs off the event loop."""
        ...

    async def embed_query(self, text: str, *, deadline: Deadline | None = None) -> Vector:
        """The vector a query is searched with; ends by `deadline`."""
        ...

    async def close(self) -> None: ...

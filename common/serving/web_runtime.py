"""The browser runtime that `cookbook export RUN --format web` puts beside the page: ONNX
Runtime Web, pinned in common/serving/web/package.json and installed by `make web-runtime`
(`npm ci` into common/serving/web/node_modules/, which git ignores), or any copy of its
`dist/` folder named with `--runtime DIR`. TensorFlow-free: the CLI checks it first.

A page opened from `file://` may not fetch() files nor import() ES modules from disk, so the
page gets the runtime as classic scripts only:

    ort.wasm.min.js    ONNX Runtime Web's CPU (WebAssembly) build, as it comes
    ort-runtime.js     its WebAssembly binary and the Emscripten loader beside it, in base64:
                       the page hands the binary to `ort.env.wasm.wasmBinary` and the loader
                       to the runtime as a blob: URL, which a file:// page may import
"""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path
from typing import NamedTuple

from common.errors import UserError

WEB = Path(__file__).resolve().parent / "web"  # package.json, the page and its scripts
INSTALLED = WEB / "node_modules" / "onnxruntime-web" / "dist"
SCRIPT = "ort.wasm.min.js"
LOADER = "ort-wasm-simd-threaded.mjs"
BINARY = "ort-wasm-simd-threaded.wasm"
EMBEDDED = "ort-runtime.js"
EXTRA = "pip install -e '.[web]' (`make venv` installs it)"
HOW_TO_INSTALL = (
    "`make web-runtime` installs it (npm ci in common/serving/web, from the npm registry), "
    "or pass --runtime DIR: the dist/ folder of an onnxruntime-web package"
)


class Runtime(NamedTuple):
    """A found copy of ONNX Runtime Web: its dist/ folder and its version."""

    folder: Path
    version: str


def pinned_version() -> str:
    """The version package.json pins (what `make web-runtime` installs)."""
    manifest = json.loads((WEB / "package.json").read_text(encoding="utf-8"))
    return manifest["dependencies"]["onnxruntime-web"]


def find(runtime: str | None = None) -> Runtime:
    """The runtime to copy: `runtime` (a dist/ folder, or the package folder holding one),
    else the one `make web-runtime` installed. Missing files: one line saying how to get it."""
    given = Path(runtime) if runtime else INSTALLED
    folder = given / "dist" if (given / "dist" / SCRIPT).is_file() else given
    missing = [name for name in (SCRIPT, LOADER, BINARY) if not (folder / name).is_file()]
    if missing:
        where = f"--runtime {runtime}" if runtime else "ONNX Runtime Web"
        raise UserError(
            f"{where}: no browser runtime at {folder} (missing {', '.join(missing)}); "
            f"the web export copies onnxruntime-web {pinned_version()} beside the page: "
            f"{HOW_TO_INSTALL}."
        )
    return Runtime(folder, version_of(folder))


def check_converter() -> None:
    """tf2onnx and onnx (the `web` extra) are installed: one line saying how, if not."""
    missing = [name for name in ("tf2onnx", "onnx") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(
            f"the web export converts with tf2onnx and onnx ({', '.join(missing)} missing): "
            f"{EXTRA}."
        )


def version_of(folder: Path) -> str:
    """The package.json version above a dist/ folder ("unknown" for a bare copy)."""
    manifest = folder.parent / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def embedded(name: str, data: bytes) -> str:
    """A classic script that sets `window[name]` to `data` in base64."""
    return f'window.{name} = "{base64.b64encode(data).decode("ascii")}";\n'


def write(runtime: Runtime, folder: Path) -> int:
    """The runtime's files into `folder`; returns their size in bytes."""
    script = (runtime.folder / SCRIPT).read_bytes()
    (folder / SCRIPT).write_bytes(script)
    binary = (runtime.folder / BINARY).read_bytes()
    loader = (runtime.folder / LOADER).read_bytes()
    text = (
        f"// ONNX Runtime Web {runtime.version} (Microsoft, MIT licence):\n"
        f"// {BINARY} and {LOADER} in base64, for a page opened from file://.\n"
        + embedded("cookbookRuntimeWasm", binary)
        + embedded("cookbookRuntimeLoader", loader)
        + f'window.cookbookRuntimeVersion = "{runtime.version}";\n'
    )
    (folder / EMBEDDED).write_text(text, encoding="ascii")
    return len(script) + len(text)

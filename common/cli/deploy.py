"""`cookbook serve RUN`: a finished run behind TensorFlow Serving's REST API
(`common.serving.server`). The arguments and the run folder are checked before TensorFlow
starts; binding anything but 127.0.0.1 needs a token."""

from __future__ import annotations

import argparse
import os
import signal

from common.cli import configs
from common.cli.startup import start_tensorflow
from common.errors import UserError

TOKEN = "COOKBOOK_TOKEN"


def serve(args: argparse.Namespace) -> int:
    configs.open_run(args.run)
    token = args.token or os.environ.get(TOKEN) or None
    local = args.host in ("127.0.0.1", "localhost", "::1")
    if not local and token is None:
        raise UserError(
            f"--host {args.host} lets other machines in: give a token (--token or {TOKEN}), "
            "which every request then sends as `Authorization: Bearer <token>`."
        )
    if not 1 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: a port is 1-65535 (TF Serving's REST port: 8501).")
    start_tensorflow()
    import uvicorn  # lazy: only `serve` runs a web server

    from common.serving import server  # lazy: TensorFlow, after the checks

    served = server.served_run(
        args.run,
        max_batch=args.max_batch,
        max_wait=args.max_wait_ms / 1000,
        max_body=args.max_body_mb * 2**20,
        token=token,
    )
    app = server.create_app(served)
    url = f"http://{args.host}:{args.port}/v1/models/{served.name}"
    print(f"serving {args.run} as {served.name!r}: {url} (POST {url}:predict)", flush=True)
    # uvicorn drains the requests in flight on SIGTERM, then raises the signal again to the
    # handler it found: the CLI's own would turn a clean shutdown into exit 143.
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    ).run()
    print("stopped: every request in flight was answered", flush=True)
    return 0

"""`cookbook serve RUN`: the run's model behind TensorFlow Serving's REST API, so its clients
work unchanged.

    GET  /v1/models/<name>             {"model_version_status": [{"state": "AVAILABLE", ...}]}
    GET  /v1/models/<name>/metadata    what an instance looks like, the class names
    POST /v1/models/<name>:predict     {"instances": [...]} -> {"predictions": [...]}

`<name>` is the run's config name (runs/<name>/...). Instances are raw, as `cookbook predict`
takes them (`common.serving.instances`); the response adds `labels` (the predicted class of
each instance) and `class_names` where the run has them.

Behaves like a server: concurrent requests are batched into one model call (`Batcher`: at
most `max_batch` rows, waiting at most `max_wait` seconds for more), every call is padded to
`max_batch` rows so the model is traced once, at start-up; a bad request gets a 400 (413 past
`max_body` bytes) JSON `{"error": ...}` naming the problem, and the server goes on; SIGTERM
drains the requests in flight and exits 0 (uvicorn's graceful shutdown). It binds 127.0.0.1
unless told otherwise, and another host needs a token, checked on every request
(`Authorization: Bearer <token>`). Built on FastAPI and uvicorn.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from common.errors import UserError
from common.modeling import predicting
from common.serving.instances import BadInstances, Reader, concatenate, count, take

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class Served:
    """What the server answers with: the model, how it reads instances, its labels."""

    name: str
    model: Any
    reader: Reader
    task: str
    class_names: list[str] | None
    max_batch: int = 64
    max_wait: float = 0.005
    max_body: int = 16 * 2**20
    token: str | None = None
    stats: dict[str, int] = field(default_factory=lambda: {"model_calls": 0, "rows": 0})


class Batcher:
    """Requests' inputs queued and predicted together, one model call per gathered batch."""

    def __init__(self, served: Served):
        self.served = served
        self.queue: asyncio.Queue = asyncio.Queue()
        self.executor = ThreadPoolExecutor(max_workers=1)  # one model call at a time
        self.task: asyncio.Task | None = None

    def predict_now(self, batch: Any) -> np.ndarray:
        """The model's outputs for `batch`, in `max_batch` chunks padded to it: one trace."""
        size, total = self.served.max_batch, count(batch)
        outputs = []
        for start in range(0, total, size):
            chunk = take(batch, slice(start, start + size))
            outputs.append(np.asarray(predicting.predict_batch(self.served.model, chunk, size)))
            self.served.stats["model_calls"] += 1
        self.served.stats["rows"] += total
        return np.concatenate(outputs)

    async def submit(self, inputs: Any) -> np.ndarray:
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((inputs, future))
        return await future

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = [await self.queue.get()]
            rows = count(items[0][0])
            deadline = loop.time() + self.served.max_wait
            while rows < self.served.max_batch and (left := deadline - loop.time()) > 0:
                try:
                    item = await asyncio.wait_for(self.queue.get(), left)
                except TimeoutError:
                    break
                items.append(item)
                rows += count(item[0])
            try:
                batch = concatenate([inputs for inputs, _ in items])
                outputs = await loop.run_in_executor(self.executor, self.predict_now, batch)
            except Exception as error:  # the model failed: every waiting request hears it
                for _, future in items:
                    if not future.done():
                        future.set_exception(error)
                continue
            start = 0
            for inputs, future in items:
                rows = count(inputs)
                if not future.done():
                    future.set_result(outputs[start : start + rows])
                start += rows


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def response(served: Served, outputs: np.ndarray) -> dict[str, Any]:
    """TF Serving's `predictions` (the model's outputs per instance), plus class names."""
    result: dict[str, Any] = {"predictions": outputs.astype("float64").tolist()}
    names = served.class_names
    if served.task == "binary":
        names = names or ["0", "1"]
        result["labels"] = [names[int(p >= 0.5)] for p in outputs.reshape(len(outputs), -1)[:, 0]]
        result["class_names"] = names
    elif served.task == "multiclass":
        names = names or [str(k) for k in range(outputs.shape[-1])]
        result["labels"] = [names[int(k)] for k in outputs.argmax(axis=-1)]
        result["class_names"] = names
    return result


def create_app(served: Served) -> FastAPI:
    """The FastAPI application; the model is traced once before it answers anything."""
    batcher = Batcher(served)
    batcher.predict_now(served.reader.example())  # the one trace, at start-up
    served.stats["model_calls"] = served.stats["rows"] = 0

    async def lifespan(app: FastAPI):
        batcher.task = asyncio.create_task(batcher.run())
        yield
        batcher.task.cancel()
        batcher.executor.shutdown(wait=True)

    app = FastAPI(title=f"cookbook serve {served.name}", lifespan=lifespan)
    prefix = f"/v1/models/{served.name}"

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if served.token is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), served.token.encode()):
                return error(401, "missing or wrong token: send Authorization: Bearer <token>")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > served.max_body:
            return error(413, f"the body is {int(length):,} bytes; at most {served.max_body:,}")
        return await call_next(request)

    @app.get(prefix)
    async def status() -> dict[str, Any]:
        return {
            "model_version_status": [
                {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK"}}
            ]
        }

    @app.get(f"{prefix}/metadata")
    async def metadata() -> dict[str, Any]:
        return {
            "model_spec": {"name": served.name, "version": "1"},
            "task": served.task,
            "instances": served.reader.describe(),
            "class_names": served.class_names,
            "max_batch": served.max_batch,
            "stats": served.stats,
        }

    @app.post(prefix + ":predict")
    async def predict(request: Request):
        body = await request.body()
        if len(body) > served.max_body:
            return error(413, f"the body is {len(body):,} bytes; at most {served.max_body:,}")
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as problem:
            return error(400, f"the body is not JSON: {problem}")
        instances = payload.get("instances") if isinstance(payload, dict) else None
        if not isinstance(instances, list):
            return error(400, 'send {"instances": [...]}: one raw input per instance')
        try:
            inputs = served.reader.read(instances)
        except BadInstances as problem:
            return error(400, str(problem))
        started = time.perf_counter()
        outputs = await batcher.submit(inputs)
        result = response(served, outputs)
        result["latency_ms"] = round(1000 * (time.perf_counter() - started), 2)
        return result

    @app.get("/")
    async def root() -> dict[str, Any]:
        return {"models": [served.name], "predict": f"POST {prefix}:predict"}

    return app


def served_run(run: str, **limits: Any) -> Served:
    """A finished run, ready to serve: its best.keras (safe mode), how it reads instances, its
    task and class names. A run whose model takes no raw instances is refused in one line."""
    from common.reporting import run_files  # lazy: what only a run's start-up reads
    from common.serving.inference import open_finished  # lazy: as above
    from common.serving.inputs import model_kind  # lazy: as above
    from common.serving.predict import run_task  # lazy: as above

    run_dir, config, recipe, model = open_finished(run)
    task = run_task(run_dir, recipe.task)
    if task not in ("binary", "multiclass", "multilabel", "regression"):
        raise UserError(
            f"{run_dir} is a {config.recipe} run, which does not predict labels or values: "
            "there is nothing to serve."
        )
    kind = model_kind(model, config)
    if kind == "series":
        raise UserError(
            f"{run_dir} forecasts from a series file, not from instances: use "
            f"`cookbook predict {run} recent.csv`."
        )
    return Served(
        name=config.name,
        model=model,
        reader=Reader(model, kind),
        task=task,
        class_names=run_files.read_labels(run_dir),
        **limits,
    )

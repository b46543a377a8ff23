// window.cookbookPredict(instances) -> Promise of the model's outputs, one array per instance.
//
// Written by `cookbook export RUN --format web` beside ort.wasm.min.js (ONNX Runtime Web),
// ort-runtime.js (its WebAssembly, in base64), model.js (model.onnx, in base64) and
// samples.js (window.cookbookMeta: what the model takes; window.cookbookSamples: test-split
// inputs with best.keras's outputs). Classic scripts only: the page works from file://,
// offline. Instances are raw, as `cookbook predict` and `cookbook serve` take them:
//
//   table   {"column": value, ...} by the user's column names; null (or "") for a gap
//   image   pixels as nested arrays [height][width][channels], 0..255 for images from files,
//           or an <img>, <canvas>, ImageBitmap or ImageData, decoded and resized as training did
//   rows    [number, ...] (nested as the model's input shape, or flat)
(function () {
  "use strict";
  const meta = window.cookbookMeta;
  let session = null;

  function bytesOf(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function start() {
    if (session === null) {
      // No fetch() and no import() from disk: the binary is handed over, the loader goes in as a
      // blob: URL, and one thread (a file:// page has no SharedArrayBuffer for workers).
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmBinary = bytesOf(window.cookbookRuntimeWasm);
      const loader = new Blob([bytesOf(window.cookbookRuntimeLoader)], { type: "text/javascript" });
      ort.env.wasm.wasmPaths = { mjs: URL.createObjectURL(loader) };
      session = ort.InferenceSession.create(bytesOf(window.cookbookModelBytes), {
        executionProviders: ["wasm"],
      });
    }
    return session;
  }

  function size(shape) {
    return shape.reduce((a, b) => a * b, 1);
  }

  // Cells that mean "no value" in a numeric column: common/data/tables.py's GAP_CELLS.
  const GAPS = ["", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "null", "NULL", "None", "<NA>", "?"];

  function number(value, what) {
    if (value === null || value === undefined) return NaN;
    if (typeof value === "string" && GAPS.includes(value.trim())) return NaN;
    const parsed = typeof value === "number" ? value : Number(String(value).trim());
    if (typeof value === "boolean" || Number.isNaN(parsed) || !Number.isFinite(parsed)) {
      throw new Error(`${what} is ${JSON.stringify(value)}, not a number`);
    }
    return parsed;
  }

  function flat(value, what, expected) {
    const out = [];
    (function walk(v) {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) for (const item of v) walk(item);
      else out.push(v);
    })(value);
    if (out.length !== expected) {
      throw new Error(`${what} holds ${out.length} numbers; the model takes ${expected}`);
    }
    return out.map((v, k) => {
      const x = number(v, `${what}, value ${k}`);
      if (Number.isNaN(x)) throw new Error(`${what}, value ${k} is empty`);
      return x;
    });
  }

  // tf.image.resize's bilinear (half-pixel centres, no antialiasing) of RGBA pixels to the
  // model's size, in the model's channels (grey: ITU-R 601 luma, as JPEG decoders give).
  function resized(rgba, width, height) {
    const [outH, outW, channels] = meta.inputs[0].shape;
    const out = new Float32Array(outH * outW * channels);
    const axis = (o, inSize, outSize) => {
      const x = (o + 0.5) * (inSize / outSize) - 0.5;
      const low = Math.floor(x);
      return [Math.max(low, 0), Math.min(Math.ceil(x), inSize - 1), x - low];
    };
    const pixel = (y, x) => {
      const i = (y * width + x) * 4;
      const [r, g, b, a] = [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]];
      if (channels === 1) return [Math.round(0.299 * r + 0.587 * g + 0.114 * b)];
      return channels === 3 ? [r, g, b] : [r, g, b, a];
    };
    for (let oy = 0; oy < outH; oy++) {
      const [y0, y1, dy] = axis(oy, height, outH);
      for (let ox = 0; ox < outW; ox++) {
        const [x0, x1, dx] = axis(ox, width, outW);
        const [p00, p01, p10, p11] = [pixel(y0, x0), pixel(y0, x1), pixel(y1, x0), pixel(y1, x1)];
        for (let c = 0; c < channels; c++) {
          const top = p00[c] + (p01[c] - p00[c]) * dx;
          const bottom = p10[c] + (p11[c] - p10[c]) * dx;
          out[(oy * outW + ox) * channels + c] = top + (bottom - top) * dy;
        }
      }
    }
    return out;
  }

  function pixelsOf(image) {
    if (typeof ImageData !== "undefined" && image instanceof ImageData) {
      return resized(image.data, image.width, image.height);
    }
    const width = image.naturalWidth || image.videoWidth || image.width;
    const height = image.naturalHeight || image.videoHeight || image.height;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(image, 0, 0);
    return resized(context.getImageData(0, 0, width, height).data, width, height);
  }

  function isPicture(value) {
    return (
      (typeof ImageData !== "undefined" && value instanceof ImageData) ||
      (typeof HTMLImageElement !== "undefined" && value instanceof HTMLImageElement) ||
      (typeof HTMLCanvasElement !== "undefined" && value instanceof HTMLCanvasElement) ||
      (typeof ImageBitmap !== "undefined" && value instanceof ImageBitmap)
    );
  }

  function tableFeeds(instances) {
    const columns = Object.keys(meta.columns);
    const values = Object.fromEntries(columns.map((c) => [meta.columns[c], []]));
    instances.forEach((row, index) => {
      if (row === null || typeof row !== "object" || Array.isArray(row)) {
        throw new Error(`instance ${index}: send an object {"column": value, ...} per row`);
      }
      const missing = columns.filter((c) => !(c in row));
      const unknown = Object.keys(row).filter((c) => !(c in meta.columns));
      if (missing.length || unknown.length) {
        throw new Error(
          `instance ${index}: ` +
            (missing.length ? `lacks the columns ${missing.join(", ")} ` : "") +
            (unknown.length ? `has columns the model does not take: ${unknown.join(", ")}` : "")
        );
      }
      for (const c of columns) values[meta.columns[c]].push(number(row[c], `instance ${index}: ${c}`));
    });
    const feeds = {};
    for (const input of meta.inputs) {
      feeds[input.name] = new ort.Tensor("float32", Float32Array.from(values[input.name]), [
        instances.length,
        ...input.shape,
      ]);
    }
    return feeds;
  }

  function arrayFeeds(instances) {
    const input = meta.inputs[0];
    const width = size(input.shape);
    const data = new Float32Array(instances.length * width);
    instances.forEach((instance, index) => {
      const values =
        meta.kind === "image" && isPicture(instance)
          ? pixelsOf(instance)
          : flat(instance, `instance ${index}`, width);
      data.set(values, index * width);
    });
    return { [input.name]: new ort.Tensor("float32", data, [instances.length, ...input.shape]) };
  }

  async function cookbookPredict(instances) {
    if (!Array.isArray(instances) || instances.length === 0) {
      throw new Error("cookbookPredict takes a non-empty array of instances");
    }
    const model = await start();
    const feeds = meta.kind === "table" ? tableFeeds(instances) : arrayFeeds(instances);
    const output = (await model.run(feeds))[model.outputNames[0]];
    const width = output.data.length / instances.length;
    return instances.map((_, i) => Array.from(output.data.subarray(i * width, (i + 1) * width)));
  }

  window.cookbookPredict = cookbookPredict;
  window.cookbookPixels = pixelsOf;
})();

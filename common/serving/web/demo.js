// The demo page: an input form (a row's fields, or an image picker), the prediction with the
// classes' probabilities, and a self-check of the browser against best.keras on test samples.
(function () {
  "use strict";
  const meta = window.cookbookMeta;
  const samples = window.cookbookSamples;
  const $ = (id) => document.getElementById(id);
  const FIELDS_UP_TO = 100; // wider rows are typed as one JSON array
  let showFirst = () => undefined; // the first sample, filled in once the page is ready

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  }

  function classNames(width) {
    const given = meta.classes || [];
    return Array.from({ length: width }, (_, k) => (k < given.length ? given[k] : String(k)));
  }

  function show(output) {
    const box = $("output");
    box.className = "";
    box.replaceChildren();
    if (meta.task === "regression") {
      const names = output.length === 1 ? ["prediction"] : output.map((_, k) => `prediction_${k}`);
      box.append(element("table", {}, ...output.map((v, k) =>
        element("tr", {}, element("td", {}, names[k]), element("td", {}, v.toPrecision(6))))));
      return;
    }
    const probabilities = meta.task === "binary" ? [1 - output[0], output[0]] : output;
    const names = classNames(probabilities.length);
    const best = probabilities.indexOf(Math.max(...probabilities));
    if (meta.task !== "multilabel") {
      box.append(element("p", {}, `${names[best]} (${(100 * probabilities[best]).toFixed(1)}%)`));
    }
    const rows = probabilities.map((p, k) => {
      const bar = element("div", { style: `width: ${Math.max(0, Math.min(1, p)) * 100}%` });
      return element("tr", { class: k === best ? "best" : "" },
        element("td", {}, names[k]), element("td", {}, p.toFixed(4)),
        element("td", { class: "bar", style: "width: 60%" }, bar));
    });
    box.append(element("table", {}, ...rows));
  }

  function failed(error) {
    const box = $("output");
    box.className = "error";
    box.textContent = String(error && error.message ? error.message : error);
  }

  async function predictOne(instance) {
    try {
      show((await window.cookbookPredict([instance]))[0]);
    } catch (error) {
      failed(error);
    }
  }

  function sampleChooser(fill) {
    const chooser = element("select", {}, element("option", { value: "" }, "fill in a test-split sample ..."));
    samples.inputs.forEach((_, k) => chooser.append(element("option", { value: String(k) }, `sample ${k + 1}`)));
    chooser.addEventListener("change", () => {
      if (chooser.value !== "") fill(samples.inputs[Number(chooser.value)]);
    });
    showFirst = () => {
      chooser.value = "0";
      return fill(samples.inputs[0]);
    };
    return chooser;
  }

  function draw(canvas, pixels) {
    const [height, width, channels] = meta.inputs[0].shape;
    const values = Array.from(pixels.flat ? pixels.flat(Infinity) : pixels);
    // Pixels from files are 0..255; in-memory images (digits: 0..16, others 0..1) are shown
    // stretched to that range.
    const top = values.reduce((a, v) => (Number.isFinite(v) ? Math.max(a, v) : a), 0);
    const scale = top > 16 && top <= 255 ? 1 : top > 0 ? 255 / top : 1;
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    const image = context.createImageData(width, height);
    for (let i = 0; i < width * height; i++) {
      const pixel = values.slice(i * channels, (i + 1) * channels).map((v) => v * scale);
      const [r, g, b] = channels >= 3 ? pixel : [pixel[0], pixel[0], pixel[0]];
      image.data.set([r, g, b, channels === 4 ? pixel[3] : 255], i * 4);
    }
    context.putImageData(image, 0, 0);
  }

  function imageControls(controls) {
    const [height, width, channels] = meta.inputs[0].shape;
    const picker = element("input", { type: "file", accept: "image/*", id: "picker" });
    const canvas = element("canvas", { id: "preview" });
    picker.addEventListener("change", async () => {
      if (!picker.files.length) return;
      try {
        const bitmap = await createImageBitmap(picker.files[0], { colorSpaceConversion: "none" });
        draw(canvas, window.cookbookPixels(bitmap));
        await predictOne(bitmap);
      } catch (error) {
        failed(error);
      }
    });
    const chooser = sampleChooser((pixels) => {
      draw(canvas, pixels);
      return predictOne(pixels);
    });
    controls.append(
      element("p", {}, `Pick an image: it is resized to ${width}x${height}, ${channels} channel(s), as training did.`),
      element("p", {}, picker, " or ", chooser),
      canvas
    );
  }

  function fieldControls(controls) {
    const table = meta.kind === "table";
    const width = table ? 0 : meta.inputs[0].shape.reduce((a, b) => a * b, 1);
    const names = table ? Object.keys(meta.columns) : Array.from({ length: width }, (_, k) => `x[${k}]`);
    const form = element("form", { class: "fields", id: "fields" });
    const boxes = {};
    let text = null;
    if (table || width <= FIELDS_UP_TO) {
      for (const name of names) {
        boxes[name] = element("input", { type: "text", inputmode: "decimal", placeholder: "empty: a gap" });
        form.append(element("label", {}, name, boxes[name]));
      }
    } else {
      text = element("textarea", { id: "row" });
      form.append(element("label", {}, `${width} numbers as a JSON array`, text));
    }
    const fill = (instance) => {
      if (text) text.value = JSON.stringify(instance);
      else if (table) for (const name of names) boxes[name].value = instance[name] ?? "";
      else names.forEach((name, k) => (boxes[name].value = instance.flat(Infinity)[k]));
    };
    const read = () => {
      if (text) return JSON.parse(text.value);
      if (table) return Object.fromEntries(names.map((n) => [n, boxes[n].value.trim() || null]));
      return names.map((n) => boxes[n].value);
    };
    const button = element("button", { type: "button", id: "predict" }, "Predict");
    button.addEventListener("click", () => {
      try {
        predictOne(read());
      } catch (error) {
        failed(error);
      }
    });
    controls.append(form, sampleChooser((instance) => {
      fill(instance);
      return predictOne(instance);
    }), button);
  }

  async function selfCheck() {
    const line = $("agreement");
    try {
      const started = performance.now();
      const outputs = await window.cookbookPredict(samples.inputs);
      let worst = 0;
      outputs.forEach((row, i) => row.forEach((v, k) => {
        worst = Math.max(worst, Math.abs(v - samples.expected[i][k]));
      }));
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      window.cookbookCheck = { maxAbsDiff: worst, count: outputs.length };
      line.className = worst <= 1e-3 ? "ok" : "error";
      line.textContent = `${outputs.length} test-split samples: the browser's outputs differ from best.keras's by at most ${worst.toExponential(2)} (${seconds} s, the runtime's start included).`;
    } catch (error) {
      window.cookbookCheck = { error: String(error) };
      line.className = "error";
      line.textContent = `the model did not run here: ${error}`;
    }
  }

  $("title").textContent = `${meta.name}: ${meta.task} in the browser`;
  $("subtitle").textContent = `a ${meta.recipe} run (${meta.run}), ONNX Runtime Web ${window.cookbookRuntimeVersion}, offline`;
  const controls = $("controls");
  if (meta.kind === "image") imageControls(controls);
  else fieldControls(controls);
  window.cookbookReady = selfCheck().then(() => showFirst());
})();

// fcnet studio, Backprop page: draws what /api/backprop computes (fcnet's numpy engine).
"use strict";

(async () => {
  const { $, api, showError } = window.studio;
  const { t } = window.fcnetI18n;
  await window.fcnetI18n.ready;
  const SVGNS = "http://www.w3.org/2000/svg";
  const POS = "#2f6fde";
  const NEG = "#e8590c";
  const state = {
    trace: null, // the last /api/backprop/step answer
    weights: null, // [{W, b}] the page holds; null: drawn by the server from the seed
    phase: "idle", // idle | forward | backward | updated | training | paused
    revealed: 0, // layers shown so far in the animation
    steps: 0, // SGD steps taken (Update, Step, Train)
    training: false,
    status: "loading", // "idle" once the first trace is drawn
    losses: [],
    data: null,
    accuracy: null,
    delay: 160, // ms per layer in the animations
    selected: null, // {kind: "node", l, j} or {kind: "edge", l, j, i}: the formula box follows it
    dead: null, // per hidden layer, per unit: relu's z <= 0 for every point (after Train)
  };
  window.bpState = state;
  // The page's key formulas, typeset once (the paragraph under them says the same in words).
  const hint = $("#hint-tex");
  if (hint && window.katex) {
    window.katex.render(hint.dataset.tex, hint, { throwOnError: false, displayMode: true, strict: "ignore" });
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // Python's "{:.4g}", which the server's formulas use.
  function g4(v) {
    if (v === 0 || Object.is(v, -0)) return "0";
    const a = Math.abs(v);
    if (a >= 1e-4 && a < 1e4) {
      const s = String(Number(v.toPrecision(4)));
      return s === "-0" ? "0" : s;
    }
    let [m, e] = v.toExponential(3).split("e");
    m = m.replace(/\.?0+$/, "");
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }

  // ----- the form ------------------------------------------------------------------------

  function numbers(name, text, whole) {
    const parts = String(text).split(",").map((s) => s.trim());
    const out = [];
    for (const p of parts) {
      const n = p === "" ? NaN : Number(p);
      if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) {
        const got = JSON.stringify(p);
        throw new Error(whole
          ? t("{name}: expected whole numbers like 2,3,2, got {got}", { name, got })
          : t("{name}: expected finite numbers like 0.5,-1.0, got {got}", { name, got }));
      }
      out.push(n);
    }
    return out;
  }

  function one(name, text, whole) {
    const v = numbers(name, text, whole);
    if (v.length !== 1) {
      throw new Error(t("{name}: expected one number, got {got}",
        { name, got: JSON.stringify(text) }));
    }
    return v[0];
  }

  // The page draws up to 4 hidden layers of 8 units (the server checks again).
  const MAX_WIDTHS = 6, MAX_UNITS = 8;

  function checkSizes(sizes) {
    if (sizes.length < 2 || sizes.length > MAX_WIDTHS) {
      throw new Error(t("{name}: expected 2 to {most} layer widths (input, hidden..., output), got {count}",
        { name: t("sizes"), most: MAX_WIDTHS, count: sizes.length }));
    }
    sizes.forEach((n, i) => {
      if (n < 1 || n > MAX_UNITS) {
        throw new Error(t("{name}: expected widths from 1 to {most}, got {got} at {at}",
          { name: t("sizes"), most: MAX_UNITS, got: n, at: i }));
      }
    });
    return sizes;
  }

  // The network part of a request, checked here for a quick message.
  function netBody() {
    const sizes = checkSizes(numbers(t("sizes"), $("#sizes").value, true));
    const body = {
      sizes,
      activation: $("#activation").value,
      output_activation: $("#output_activation").value,
      loss: $("#loss").value,
      lr: one(t("learning rate"), $("#lr").value, false),
      seed: one(t("seed"), $("#seed").value, true),
      weights: null,
    };
    const w = state.weights;
    const fits = w && w.length === sizes.length - 1 &&
      w.every((layer, i) => layer.W.length === sizes[i + 1] && layer.W[0].length === sizes[i]);
    if (fits && state.netKey === netKey(body)) body.weights = w;
    return body;
  }

  const netKey = (b) => JSON.stringify([b.sizes, b.activation, b.output_activation, b.loss, b.seed]);

  function stepBody() {
    const body = netBody();
    body.x = numbers("x", $("#x").value, false);
    const yText = $("#y").value;
    body.y = body.loss === "cross_entropy" ? one("y", yText, true) : numbers("y", yText, false);
    return body;
  }

  // ----- drawing -------------------------------------------------------------------------

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVGNS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  // A label on a white backing, so that the edges under it never hide it.
  function label(parent, x, y, text, cls, anchor = "start") {
    const g = el("g", { class: `label ${cls}` }, parent);
    const back = el("rect", { class: "backing", rx: 3 }, g);
    const tx = el("text", { x, y, "text-anchor": anchor, class: `val ${cls}` }, g);
    tx.textContent = text;
    const b = tx.getBBox();
    back.setAttribute("x", (b.x - 2).toFixed(1));
    back.setAttribute("y", (b.y - 1).toFixed(1));
    back.setAttribute("width", (b.width + 4).toFixed(1));
    back.setAttribute("height", (b.height + 2).toFixed(1));
    return tx;
  }

  const VIEW_W = 880, VIEW_H = 380;

  function layout(sizes) {
    const W = VIEW_W, H = VIEW_H;
    const cols = sizes.length;
    return sizes.map((n, l) => {
      const x = 50 + (l * (W - 290)) / (cols - 1);
      const gap = Math.min(44, (H - 50) / n);
      return Array.from({ length: n }, (_, j) => [x, H / 2 + 8 + (j - (n - 1) / 2) * gap]);
    });
  }

  function draw() {
    const svg = $("#net");
    svg.replaceChildren();
    const tr = state.trace;
    if (!tr) return;
    const sizes = tr.sizes;
    const L = sizes.length - 1;
    const pos = layout(sizes);
    const back = state.phase === "backward";
    const showGrad = (l) => back && l >= state.revealedBack;
    const weights = state.weights || tr.layers.map((x) => ({ W: x.W, b: x.b }));
    // edge widths: by |w| (or |dW| on the way back), relative to the largest
    let maxW = 1e-12, maxG = 1e-12;
    weights.forEach((lw) => lw.W.forEach((r) => r.forEach((v) => { maxW = Math.max(maxW, Math.abs(v)); })));
    tr.layers.forEach((x) => x.dW.forEach((r) => r.forEach((v) => { maxG = Math.max(maxG, Math.abs(v)); })));
    const edges = el("g", {}, svg);
    for (let l = 1; l <= L; l++) {
      const Wl = weights[l - 1].W;
      for (let j = 0; j < sizes[l]; j++) {
        for (let i = 0; i < sizes[l - 1]; i++) {
          const grad = tr.layers[l - 1].dW[j][i];
          const g = showGrad(l);
          const v = g ? grad : Wl[j][i];
          const [x1, y1] = pos[l - 1][i], [x2, y2] = pos[l][j];
          const line = el("line", {
            x1, y1, x2, y2, class: "edge",
            stroke: v >= 0 ? POS : NEG,
            "stroke-width": (0.5 + 5 * Math.abs(v) / (g ? maxG : maxW)).toFixed(2),
            "stroke-opacity": g ? 0.9 : 0.55,
            "data-l": l, "data-j": j, "data-i": i,
            "data-w": Wl[j][i], "data-grad": grad, "data-shows": g ? "grad" : "weight",
          }, edges);
          const hit = el("line", { x1, y1, x2, y2, class: "edge-hit", "data-l": l, "data-j": j, "data-i": i }, edges);
          const show = () => explainEdge(l, j, i, line);
          hit.addEventListener("mouseenter", show);
          hit.addEventListener("click", show);
        }
      }
    }
    const sigmoidOut = tr.output_activation === "sigmoid";
    const names = sizes.map((_, l) => (l === 0 ? t("input a^(0)")
      : l === L ? (sigmoidOut ? t("output a^({layer}) = σ(z^({layer}))", { layer: L })
        : t("output z^({layer})", { layer: L })) : `a^(${l})`));
    for (let l = 0; l <= L; l++) {
      el("text", { x: pos[l][0][0], y: 14, "text-anchor": "middle", class: "layer-label" }, svg)
        .textContent = names[l];
      for (let j = 0; j < sizes[l]; j++) {
        const [x, y] = pos[l][j];
        const on = l === 0 ? state.revealed >= 0 && state.phase !== "idle" : state.revealed >= l;
        const g = el("g", { class: "node", "data-l": l, "data-j": j }, svg);
        const c = el("circle", { cx: x, cy: y, r: 19 }, g);
        c.setAttribute("aria-label", t("unit {unit} of layer {layer}", { unit: j, layer: l }));
        if (isDead(l, j)) {
          g.classList.add("dead");
          label(g, x, y - 24, t("dead"), "dead-mark", "middle");
        }
        if (l === 0) {
          g.dataset.a = tr.x[j];
        } else {
          const layer = tr.layers[l - 1];
          g.dataset.z = layer.z[j];
          g.dataset.a = layer.a[j];
          g.dataset.delta = layer.delta[j];
        }
        if (on && (state.phase === "forward" || state.phase === "backward")) {
          g.classList.add("on");
          const a = l === 0 ? tr.x[j] : tr.layers[l - 1].a[j];
          el("text", { x, y: y + 4, "text-anchor": "middle", class: "val a" }, g).textContent = g4(a);
          if (l > 0) label(g, x + 22, y - 6, `z ${g4(tr.layers[l - 1].z[j])}`, "z");
        }
        if (l > 0 && back && l >= state.revealedBack) {
          g.classList.add("back");
          label(g, x + 22, y + 12, `δ ${g4(tr.layers[l - 1].delta[j])}`, "delta");
        }
        const show = () => explainNode(l, j, g);
        g.addEventListener("mouseenter", show);
        g.addEventListener("click", show);
      }
    }
    // ŷ, y and L beside the output layer, once the forward pass reaches it
    if (state.revealed >= L && (state.phase === "forward" || state.phase === "backward")) {
      const xo = pos[L][0][0] + 120;
      const out = el("g", { class: "outputs" }, svg);
      el("text", { x: xo, y: 14, "text-anchor": "start", class: "layer-label" }, out).textContent = "ŷ   y";
      pos[L].forEach(([, y], j) => {
        const target = tr.loss_fn === "cross_entropy" ? (tr.y === j ? 1 : 0)
          : (Array.isArray(tr.y) ? tr.y[j] : tr.y);
        label(out, xo, y - 4, `ŷ${j} ${fmt(tr.output[j])}`, "yhat").parentNode.dataset.j = j;
        label(out, xo, y + 10, `y${j} ${fmt(target)}`, "target").parentNode.dataset.j = j;
      });
      const lastY = pos[L][pos[L].length - 1][1];
      label(out, xo, Math.min(VIEW_H - 6, lastY + 40), `L = ${fmt(tr.loss)}`, "loss-label");
    }
    legend(back);
    showSelection();
  }

  // null (NaN or ±inf in the server's JSON) shows as such, never as 0
  const fmt = (v) => (v === null || v === undefined ? "NaN/inf" : g4(v));

  function isDead(l, j) {
    const tr = state.trace;
    return Boolean(state.dead && l >= 1 && l < tr.sizes.length - 1 && state.dead[l - 1] &&
      state.dead[l - 1][j]);
  }

  function legend(back) {
    $("#legend-width").textContent = back
      ? t("width ∝ |∂L/∂W_ji| (the gradient, on the way back)")
      : t("width ∝ |W_ji| (the weight)");
    $("#legend-dead").hidden = !(state.dead && state.dead.some((layer) => layer.some(Boolean)));
  }

  function select(elm) {
    document.querySelectorAll("#net .selected").forEach((e) => e.classList.remove("selected"));
    if (elm) elm.classList.add("selected");
  }

  // The formula box: the text in #formula (copyable), typeset by KaTeX in #formula-tex.
  // Each entry is [text, tex]; tex null: words, shown as they are.
  function showFormulas(entries) {
    $("#formula").textContent = entries.map((e) => e[0]).join("\n");
    const box = $("#formula-tex");
    box.replaceChildren();
    for (const [text, tex] of entries) {
      const div = document.createElement("div");
      div.className = tex ? "tex-line" : "tex-words";
      if (!text) div.classList.add("gap");
      if (tex && window.katex) {
        window.katex.render(tex, div, { throwOnError: false, displayMode: false, strict: "ignore" });
      } else div.textContent = text;
      box.appendChild(div);
    }
    box.dataset.for = state.selected ? JSON.stringify(state.selected) : "";
    box.dataset.trace = state.traceId || 0;
  }

  const words = (text) => [text, null];
  const both = (texts, texs) => texts.map((s, k) => [s, texs[k]]);

  function explainNode(l, j, g) {
    const tr = state.trace;
    state.selected = { kind: "node", l, j };
    if (!tr || (state.phase !== "forward" && state.phase !== "backward")) {
      showFormulas([words(state.phase === "training"
        ? t("Training: pause to see this unit's numbers.")
        : t("Press Forward to compute this unit."))]);
      return;
    }
    select(g);
    const tx = tr.text;
    let entries;
    if (l === 0) {
      entries = [[tx.inputs[j + 1], tx.tex_inputs[j + 1]], words(""), [tx.inputs[0], tx.tex_inputs[0]]];
    } else {
      const lt = tx.layers[l - 1];
      const u = lt.units[j], ut = lt.tex.units[j];
      entries = isDead(l, j) ? [words(t("dead unit: z ≤ 0 for every point of the data set, so relu'(z) = 0 there: its δ and the gradients of its weights and bias are 0, and it no longer learns (a smaller learning rate, other initial weights or leaky_relu avoid it)")), words("")] : [];
      entries.push([u.z, ut.z], [u.a, ut.a]);
      const back = state.phase === "backward" && l >= state.revealedBack;
      if (back) entries.push([u.delta, ut.delta]);
      entries.push(words(""), ...both(lt.forward, lt.tex.forward));
      if (back) entries.push(...both(lt.backward, lt.tex.backward), ...both(lt.grads, lt.tex.grads));
      if (l === tr.sizes.length - 1) entries.push(words(""), ...both(tx.output, tx.tex_output));
    }
    showFormulas(entries);
  }

  function explainEdge(l, j, i, line) {
    const tr = state.trace;
    if (!tr) return;
    select(line);
    state.selected = { kind: "edge", l, j, i };
    const lt = tr.text.layers[l - 1];
    const w = (state.weights || tr.layers.map((x) => ({ W: x.W })))[l - 1].W[j][i];
    const head = `W_${j}${i}^(${l}) = ${g4(w)}`;
    const entries = [[head, `W_{${j}${i}}^{(${l})} = ${g4(w)}`]];
    if (state.phase === "backward" && l >= state.revealedBack) {
      entries.push([lt.edges[j][i], lt.tex.edges[j][i]], words(""), ...both(lt.grads, lt.tex.grads));
    } else {
      entries.push(words(t("(press Backward for {formula})",
        { formula: `∂L/∂W_${j}${i}^(${l}) = δ_${j}^(${l}) a_${i}^(${l - 1})` })));
    }
    showFormulas(entries);
  }

  // After every redraw the formula box shows the selected unit or edge with the numbers of
  // the trace now drawn (Train -> Pause -> click a point: that point's numbers).
  function showSelection() {
    const s = state.selected;
    if (!s || !state.trace) return;
    if (s.kind === "node") {
      const g = document.querySelector(`#net .node[data-l="${s.l}"][data-j="${s.j}"]`);
      if (g) explainNode(s.l, s.j, g);
    } else {
      const line = document.querySelector(
        `#net line.edge[data-l="${s.l}"][data-j="${s.j}"][data-i="${s.i}"]`);
      if (line) explainEdge(s.l, s.j, s.i, line);
    }
  }

  // ----- the one-sample buttons ----------------------------------------------------------

  // The server names the request's fields; the message names them as the form does.
  const LABELS = { sizes: t("sizes"), lr: t("learning rate"), seed: t("seed") };
  const labelled = (message) =>
    message.replace(/^(sizes|lr|seed)(?=[:：])/, (k) => LABELS[k]);

  function fail(e) {
    state.training = false;
    state.status = "error";
    showError($("#error"), labelled(e.message));
    $("#status").textContent = t("Not computed: see the message above.");
    buttons();
  }

  function buttons() {
    const busy = state.training;
    ["#forward", "#backward", "#update", "#step", "#reset", "#train"].forEach((s) => { $(s).disabled = busy; });
    $("#pause").disabled = !busy;
  }

  async function compute() {
    const body = stepBody();
    const key = netKey(body);
    const res = await api("/api/backprop/step", body);
    showError($("#error"), "");
    state.trace = res;
    state.traceId = (state.traceId || 0) + 1;
    if (state.netKey !== key) state.dead = null;
    state.netKey = key;
    if (!body.weights) state.weights = res.layers.map((x) => ({ W: x.W, b: x.b }));
    if (state.dead && !state.training && state.deadWeights !== JSON.stringify(body.weights)) {
      state.dead = null; // the weights moved since Train found them
    }
    const fd = res.checks.finite_difference;
    $("#check").textContent = fd === null || !res.checks.passed
      ? t("check failed: the step met a NaN or an infinity, or a gradient differs from central differences")
      : t("check: every ∂L/∂W, ∂L/∂b vs central differences, largest difference {difference}",
        { difference: fd.toExponential(1) });
    $("#check").classList.toggle("bad", !res.checks.passed);
    return res;
  }

  async function forward(animate = true) {
    await compute();
    state.phase = "forward";
    state.revealedBack = Infinity;
    const L = state.trace.sizes.length - 1;
    for (let l = 0; l <= L; l++) {
      state.revealed = l;
      draw();
      if (animate && l < L) await sleep(state.delay);
    }
    const tr = state.trace;
    state.status = "forward";
    $("#status").textContent = t("forward: ŷ = [{output}], L = {loss}",
      { output: tr.output.map(g4).join(", "), loss: g4(tr.loss) });
  }

  async function backward(animate = true) {
    if (state.phase !== "forward") await forward(false);
    const L = state.trace.sizes.length - 1;
    state.phase = "backward";
    for (let l = L; l >= 1; l--) {
      state.revealedBack = l;
      draw();
      if (animate && l > 1) await sleep(state.delay);
    }
    state.status = "backward";
    $("#status").textContent = t("backward: δ from layer {layer} down to 1; edges show ∂L/∂W = δ a^T",
      { layer: L });
  }

  function update() {
    if (state.phase !== "backward") throw new Error(t("update: press Backward first"));
    state.weights = state.trace.updated;
    state.phase = "updated";
    state.steps += 1;
    state.revealed = 0;
    state.revealedBack = Infinity;
    draw();
    state.status = "updated";
    $("#status").textContent = t(
      "step {step}: W ← W - lr ∂L/∂W done (loss before: {loss}); press Forward",
      { step: state.steps, loss: g4(state.trace.loss) });
  }

  const guard = (fn) => async (...args) => {
    try { await fn(...args); } catch (e) { fail(e); }
  };

  $("#forward").addEventListener("click", guard(() => forward(true)));
  $("#backward").addEventListener("click", guard(() => backward(true)));
  $("#update").addEventListener("click", guard(async () => {
    if (state.phase !== "backward") await backward(false);
    update();
  }));
  $("#step").addEventListener("click", guard(async () => {
    const d = state.delay;
    state.delay = d / 3;
    try {
      await forward(true);
      await backward(true);
      update();
    } finally { state.delay = d; }
  }));
  $("#reset").addEventListener("click", guard(async () => {
    $("#example").value = "";
    state.weights = null;
    state.steps = 0;
    await idle();
  }));
  $("#dataset").addEventListener("change", guard(showData));

  // Worked examples: the textbook's network, sample and weights, reproduced digit for digit.
  const EXAMPLES = {
    // Matt Mazur, "A Step by Step Backpropagation Example": E_total = 0.298371109,
    // ∂E/∂w5 = 0.082167041, ∂E/∂w1 = 0.000438568, w5+ = 0.35891648
    mazur: {
      fields: { sizes: "2,2,2", activation: "sigmoid", output_activation: "sigmoid",
        loss: "quadratic", x: "0.05,0.10", y: "0.01,0.99", lr: "0.5" },
      weights: [{ W: [[0.15, 0.20], [0.25, 0.30]], b: [0.35, 0.35] },
        { W: [[0.40, 0.45], [0.50, 0.55]], b: [0.60, 0.60] }],
    },
  };

  // Weights the page holds from now on (the form's sizes follow them); the server checks them.
  async function useWeights(weights) {
    $("#sizes").value = [weights[0].W[0].length, ...weights.map((w) => w.W.length)].join(",");
    const body = netBody();
    state.weights = weights;
    state.netKey = netKey(body);
    state.steps = 0;
    state.dead = null;
    await idle();
  }

  $("#example").addEventListener("change", guard(async () => {
    const ex = EXAMPLES[$("#example").value];
    if (!ex) return;
    for (const [name, value] of Object.entries(ex.fields)) $(`#${name}`).value = value;
    await useWeights(ex.weights);
  }));

  $("#use-weights").addEventListener("click", guard(async () => {
    let doc;
    try {
      doc = JSON.parse($("#weights-json").value);
    } catch (e) {
      throw new Error(t("weights: not JSON ({error})", { error: e.message }));
    }
    const layers = Array.isArray(doc) ? doc : doc && doc.layers;
    const ok = Array.isArray(layers) && layers.length > 0 && layers.every((w) =>
      w && Array.isArray(w.W) && w.W.length > 0 && w.W.every(Array.isArray) && Array.isArray(w.b));
    if (!ok) {
      throw new Error(t("weights: expected the layers of fcnet backprop --json: a list of W (rows of numbers) and b"));
    }
    await useWeights(layers.map((w) => ({ W: w.W, b: w.b })));
  }));
  ["#sizes", "#activation", "#output_activation", "#loss", "#seed", "#x", "#y", "#lr"].forEach((s) => {
    $(s).addEventListener("change", guard(idle));
  });

  async function idle() {
    await compute();
    state.phase = "idle";
    state.revealed = -1;
    state.revealedBack = Infinity;
    draw();
    await showData();
    state.status = "idle";
    $("#status").textContent = t("Press Forward.");
  }

  // The data set's points, before any training.
  async function showData() {
    const before = state.data && state.data.key;
    await loadData();
    if (!state.boundary || state.data.key !== before) {
      state.boundary = null;
      drawBoundary(null);
    }
  }

  // ----- training on a 2-D data set ------------------------------------------------------

  let lossChart = null;

  function chart() {
    if (lossChart || !window.Chart) return;
    lossChart = new Chart($("#losscurve"), {
      type: "line",
      data: { datasets: [{ label: t("training loss (batch mean)"), data: [], borderColor: POS, pointRadius: 0, borderWidth: 1.5 }] },
      options: {
        parsing: false,
        scales: { x: { type: "linear", title: { display: true, text: t("step") }, ticks: { precision: 0 } },
          y: { title: { display: true, text: t("loss") } } },
      },
    });
  }

  function drawBoundary(b) {
    const cv = $("#boundary");
    const ctx = cv.getContext("2d");
    const S = cv.width;
    ctx.clearRect(0, 0, S, S);
    if (b) {
      const cell = S / b.n;
      for (let r = 0; r < b.n; r++) {
        for (let c = 0; c < b.n; c++) {
          const p = b.p[r * b.n + c];
          const alpha = Math.min(1, Math.abs(p - 0.5) * 1.6) * 0.55 + 0.05;
          ctx.fillStyle = p > 0.5 ? `rgba(47,111,222,${alpha})` : `rgba(232,89,12,${alpha})`;
          ctx.fillRect(Math.round(c * cell), Math.round(S - (r + 1) * cell), Math.ceil(cell), Math.ceil(cell));
        }
      }
    }
    const d = state.data;
    if (!d) return;
    const [x0, x1] = b ? b.x : d.xr, [y0, y1] = b ? b.y : d.yr;
    state.toCanvas = (p) => [((p[0] - x0) / (x1 - x0)) * S, S - ((p[1] - y0) / (y1 - y0)) * S];
    d.x.forEach((p, k) => {
      const [cx, cy] = state.toCanvas(p);
      ctx.beginPath();
      ctx.arc(cx, cy, 3, 0, 2 * Math.PI);
      ctx.fillStyle = d.y[k] === 1 ? POS : NEG;
      ctx.strokeStyle = "#fff";
      ctx.fill();
      ctx.stroke();
    });
  }

  async function loadData() {
    const body = { dataset: $("#dataset").value, points: 200, seed: one(t("seed"), $("#seed").value, true) };
    const key = JSON.stringify(body);
    if (state.data && state.data.key === key) return;
    const d = await api("/api/backprop/data", body);
    const xs = d.x.map((p) => p[0]), ys = d.x.map((p) => p[1]);
    state.data = { ...d, key, xr: [Math.min(...xs) - 0.5, Math.max(...xs) + 0.5], yr: [Math.min(...ys) - 0.5, Math.max(...ys) + 0.5] };
    state.losses = [];
    state.steps = 0;
    if (lossChart) { lossChart.data.datasets[0].data = []; lossChart.update(); }
  }

  async function train() {
    showError($("#error"), "");
    const per = one(t("steps per frame"), $("#per").value, true);
    await loadData();
    chart();
    state.training = true;
    state.status = "training";
    state.phase = "training";
    buttons();
    while (state.training) {
      const body = { ...netBody(), dataset: $("#dataset").value, points: 200, steps: per };
      const res = await api("/api/backprop/train", body);
      state.weights = res.weights;
      state.netKey = netKey(body);
      res.losses.forEach((v) => { state.steps += 1; state.losses.push({ x: state.steps, y: v }); });
      state.accuracy = res.accuracy;
      state.boundary = res.boundary;
      if (lossChart) { lossChart.data.datasets[0].data = state.losses.slice(); lossChart.update(); }
      drawBoundary(res.boundary);
      state.batchGradients = res.gradients; // the last step's batch-mean dW, db
      state.dead = res.dead;
      state.deadWeights = JSON.stringify(res.weights);
      if (state.trace) draw();
      $("#status").textContent = t("training: step {step}, loss {loss}, accuracy {accuracy}%",
        { step: state.steps, loss: g4(res.loss), accuracy: (100 * res.accuracy).toFixed(1) });
      await sleep(10);
    }
  }

  // Inspect one data point (the first, or the one clicked): its numbers at this step.
  async function inspect(k) {
    const d = state.data;
    if (!d) return;
    $("#x").value = d.x[k].map((v) => String(Number(v.toPrecision(6)))).join(",");
    $("#y").value = String(d.y[k]);
    state.phase = "idle"; // a new sample: compute its forward pass, not the last one's
    await backward(false);
  }

  $("#train").addEventListener("click", async () => {
    try {
      await train();
    } catch (e) {
      fail(e);
      return;
    }
    try {
      await inspect(0);
      state.phase = "backward";
      state.status = "paused";
      const last = state.losses.length ? state.losses[state.losses.length - 1].y : NaN;
      $("#status").textContent = t(
        "paused at step {step} (loss {loss}, accuracy {accuracy}%): showing point 0; click a point to inspect it",
        { step: state.steps, loss: g4(last), accuracy: (100 * state.accuracy).toFixed(1) });
    } catch (e) { fail(e); }
    buttons();
  });
  $("#pause").addEventListener("click", () => { state.training = false; });
  $("#boundary").addEventListener("click", guard(async (ev) => {
    if (state.training || !state.data || !state.toCanvas) return;
    const r = $("#boundary").getBoundingClientRect();
    const s = $("#boundary").width / r.width;
    const mx = (ev.clientX - r.left) * s, my = (ev.clientY - r.top) * s;
    let best = 0, dist = Infinity;
    state.data.x.forEach((p, k) => {
      const [cx, cy] = state.toCanvas(p);
      const dd = (cx - mx) ** 2 + (cy - my) ** 2;
      if (dd < dist) { dist = dd; best = k; }
    });
    await inspect(best);
    $("#status").textContent = t("paused at step {step}: showing point {point}",
      { step: state.steps, point: best });
  }));

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", guard(idle));
  else guard(idle)();
})();

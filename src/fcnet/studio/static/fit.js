// Fit page: train a network on f(x) and watch the curve, the loss and the ReLU kinks move.
"use strict";

(async () => {
  const { $, api, showError, num, stream } = window.studio;
  const { t } = window.fcnetI18n;
  await window.fcnetI18n.ready;
  const form = $("#fit-form"), errorBox = $("#error"), statusLine = $("#status");
  const pauseBtn = $("#pause"), stopBtn = $("#stop"), bar = $("#progress");
  // What the tests (and a curious reader, in the console) can look at.
  const state = (window.fitState = { session: null, step: 0, loss: null, status: "idle",
    saved: null });
  const saveBtn = $("#save"), savedNote = $("#saved");
  // The form's own labels: messages name the field as the learner sees it.
  const LABELS = { expr: "f(x)", x_min: t("x from"), x_max: t("to"), width: t("hidden width"),
    depth: t("depth"), activation: t("activation"), optimizer: t("optimiser"),
    lr: t("learning rate"), steps: t("steps"), backend: t("backend"),
    every: t("update every") };
  const NUMBERS = ["x_min", "x_max", "width", "depth", "lr", "steps", "every"];
  let es = null, paused = false, kinkY = 0;

  const curve = new Chart($("#curve"), {
    type: "line",
    data: {
      datasets: [
        // order: the lowest is drawn last, on top: the target stays visible above the fit.
        { label: t("target f(x)"), data: [], borderColor: "#1d2330", borderWidth: 1.75,
          pointRadius: 0, order: 0 },
        { label: t("network"), data: [], borderColor: "rgba(47, 111, 222, 0.75)",
          borderWidth: 4.5, pointRadius: 0, order: 1 },
        { label: t("ReLU switches on (x = −b/w)"), data: [], type: "scatter", showLine: false,
          pointStyle: "triangle", pointRadius: 6, backgroundColor: "#e4572e",
          borderColor: "#e4572e", order: 2 },
      ],
    },
    options: {
      parsing: false,
      scales: { x: { type: "linear", title: { display: true, text: "x" } }, y: {} },
      plugins: { legend: { position: "top" } },
    },
  });
  const loss = new Chart($("#loss"), {
    type: "line",
    data: { datasets: [{ label: t("training loss (MSE)"), data: [], borderColor: "#7a3ede",
      borderWidth: 2, pointRadius: 0 }] },
    options: {
      parsing: false,
      scales: { x: { type: "linear", title: { display: true, text: t("step") } },
                y: { type: "logarithmic" } },
    },
  });

  api("/api/options").then((opts) => {
    const sel = $("#backend");
    sel.innerHTML = "";
    opts.backends.forEach((b) => sel.add(new Option(b, b)));
  }).catch(() => {});

  function setRunning(running) {
    pauseBtn.disabled = stopBtn.disabled = !running;
    paused = false;
    pauseBtn.textContent = t("Pause");
  }

  function closeStream() {
    if (es) { es.close(); es = null; }
  }

  // A server message with the API's field names replaced by the form's labels.
  function labelled(message) {
    return message.replace(/\b(x_min|x_max|expr|width|depth|activation|optimizer|lr|steps|backend|every)\b(?=:|：| <| and|,|，|$)/g,
      (k) => `"${LABELS[k]}"`);
  }

  // The request, or an Error naming the field by its label when one is not a number.
  function request() {
    const body = { expr: $("#expr").value };
    NUMBERS.forEach((k) => {
      const v = num($("#" + k));
      if (typeof v !== "number") {
        const got = v === null ? t("nothing") : JSON.stringify(v);
        throw new Error(t('"{label}": expected a number, got {got}', { label: LABELS[k], got }));
      }
      body[k] = v;
    });
    if (!(body.x_min < body.x_max)) {
      throw new Error(t('"{low}" must be less than "{high}", got {x_min} and {x_max}',
        { low: LABELS.x_min, high: LABELS.x_max, x_min: body.x_min, x_max: body.x_max }));
    }
    ["activation", "optimizer", "backend"].forEach((k) => { body[k] = $("#" + k).value; });
    return body;
  }

  // A refused request: the previous fit is cleared, and the status says so in red.
  function refused(message) {
    showError(errorBox, labelled(message));
    state.status = "refused";
    state.session = null;
    curve.data.datasets.forEach((d) => { d.data = []; });
    curve.update();
    loss.data.datasets[0].data = [];
    loss.update();
    bar.value = 0;
    statusLine.classList.remove("ok");
    statusLine.classList.add("bad");
    statusLine.textContent = t("Not started: the form was refused (see the message above).");
    setSaveable(false);
  }

  function setSaveable(on) {
    saveBtn.disabled = !on;
    if (on) savedNote.replaceChildren();
  }

  function bringIntoView(el) {
    // On a phone the charts sit below the form: show the result once it starts.
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight * 0.5) {
      el.scrollIntoView({ block: "start", behavior: "instant" });
    }
  }

  function drawTarget(start) {
    const pts = start.x.map((x, i) => ({ x, y: start.target[i] }));
    const ys = start.target;
    const lo = Math.min(...ys), hi = Math.max(...ys);
    const span = hi - lo || 1;
    kinkY = lo - 0.1 * span;
    curve.options.scales.y.min = lo - 0.18 * span;
    curve.options.scales.y.max = hi + 0.12 * span;
    curve.options.scales.x.min = start.x[0];
    curve.options.scales.x.max = start.x[start.x.length - 1];
    curve.data.datasets[0].data = pts;
    curve.data.datasets[1].data = [];
    curve.data.datasets[2].data = [];
    curve.data.datasets[2].hidden = !start.kinks;
    curve.update();
    loss.data.datasets[0].data = [];
    loss.update();
  }

  function onProgress(d, xs) {
    state.step = d.step;
    state.loss = d.loss;
    curve.data.datasets[1].data = d.y.map((y, i) => ({ x: xs[i], y }));
    curve.data.datasets[2].data = d.kinks.map((x) => ({ x, y: kinkY }));
    curve.update();
    if (d.loss !== null && d.loss > 0) loss.data.datasets[0].data.push({ x: d.step, y: d.loss });
    loss.update();
    bar.value = d.step / d.steps;
    const kinks = curve.data.datasets[2].hidden ? ""
      : ` · ${t("{kinks} kinks in range", { kinks: d.kinks.length })}`;
    state.kinksText = kinks;
    showStatus();
  }

  // The running status line: step, loss, kinks; "paused" first while paused.
  function showStatus() {
    const where = t("step {step} / {steps} · loss {loss}",
      { step: state.step, steps: state.steps, loss: fmt(state.loss) }) + (state.kinksText || "");
    statusLine.textContent = state.status === "paused" ? t("paused at {where}", { where }) : where;
  }

  function fmt(v) {
    return v === null ? "–" : v < 1e-3 || v >= 1e4 ? v.toExponential(3) : v.toPrecision(4);
  }

  async function train(ev) {
    ev.preventDefault();
    showError(errorBox, "");
    await stop();
    let start;
    try {
      start = await api("/api/fit", request());
    } catch (e) {
      refused(e.message);
      return;
    }
    state.session = start.session;
    state.step = 0;
    state.steps = start.steps;
    state.loss = null;
    state.kinksText = "";
    state.saved = null;
    state.status = "running";
    drawTarget(start);
    bar.value = 0;
    statusLine.classList.remove("ok", "bad");
    statusLine.textContent = t("training…");
    setRunning(true);
    setSaveable(false);
    savedNote.replaceChildren();
    bringIntoView($("#charts"));
    es = stream(start.session, {
      progress: (d) => onProgress(d, start.x),
      status: (d) => {
        state.status = d.status;
        if (state.step || d.status === "paused") showStatus();
      },
      done: (d) => {
        state.status = d.status;
        setRunning(false);
        setSaveable(state.step > 0);
        if (d.status === "done") {
          statusLine.classList.add("ok");
          statusLine.textContent = t(
            "done: {steps} steps · loss {loss} · MSE on the grid {mse} · largest error {error}",
            { steps: d.step, loss: fmt(state.loss), mse: fmt(d.grid_mse),
              error: fmt(d.max_abs_error) });
        } else {
          statusLine.textContent = t("stopped at step {step} · loss {loss}",
            { step: state.step, loss: fmt(state.loss) });
        }
        es = null;
      },
      failed: (d) => {
        state.status = "failed";
        setRunning(false);
        showError(errorBox, labelled(d.error));
        statusLine.classList.add("bad");
        statusLine.textContent = t("failed at step {step}", { step: state.step });
        es = null;
      },
      lost: () => {
        if (state.status === "running" || state.status === "paused") {
          state.status = "lost";
          setRunning(false);
          showError(errorBox, t("lost the connection to the studio server"));
        }
      },
    });
  }

  async function stop() {
    const sid = state.session;
    if (es && sid) {
      closeStream();
      try { await api(`/api/sessions/${sid}/stop`, {}); } catch (e) { /* already gone */ }
      state.status = "stopped";
      statusLine.textContent = t("stopped at step {step} · loss {loss}",
        { step: state.step, loss: fmt(state.loss) });
      setSaveable(state.step > 0);
    }
    setRunning(false);
  }

  async function save() {
    if (!state.session) return;
    saveBtn.disabled = true;
    try {
      const r = await api(`/api/fit/${state.session}/save`, {});
      state.saved = r.run;
      const link = document.createElement("a");
      link.href = `/runs?a=${encodeURIComponent(r.run)}`;
      link.textContent = t("open it on the Runs page");
      savedNote.replaceChildren(t("Saved as {folder} · ", { folder: `${r.runs_dir}/${r.run}/` }), link);
    } catch (e) {
      showError(errorBox, labelled(e.message));
      saveBtn.disabled = false;
    }
  }

  async function togglePause() {
    if (!state.session) return;
    try {
      const r = await api(`/api/sessions/${state.session}/pause`, { paused: !paused });
      paused = r.status === "paused";
      pauseBtn.textContent = paused ? t("Resume") : t("Pause");
      state.status = r.status;
      showStatus();
    } catch (e) {
      showError(errorBox, e.message);
    }
  }

  form.addEventListener("submit", train);
  pauseBtn.addEventListener("click", togglePause);
  stopBtn.addEventListener("click", stop);
  saveBtn.addEventListener("click", save);
})();

// Fit page: train a network on f(x) and watch the curve, the loss and the ReLU kinks move.
"use strict";

(() => {
  const { $, api, showError, num, stream } = window.studio;
  const form = $("#fit-form"), errorBox = $("#error"), statusLine = $("#status");
  const pauseBtn = $("#pause"), stopBtn = $("#stop"), bar = $("#progress");
  // What the tests (and a curious reader, in the console) can look at.
  const state = (window.fitState = { session: null, step: 0, loss: null, status: "idle" });
  let es = null, paused = false, kinkY = 0;

  const curve = new Chart($("#curve"), {
    type: "line",
    data: {
      datasets: [
        { label: "target f(x)", data: [], borderColor: "#9aa4b2", borderDash: [6, 4],
          borderWidth: 2, pointRadius: 0 },
        { label: "network", data: [], borderColor: "#2f6fde", borderWidth: 2.5, pointRadius: 0 },
        { label: "ReLU switches on (x = −b/w)", data: [], type: "scatter", showLine: false,
          pointStyle: "triangle", pointRadius: 6, backgroundColor: "#e4572e",
          borderColor: "#e4572e" },
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
    data: { datasets: [{ label: "training loss (MSE)", data: [], borderColor: "#7a3ede",
      borderWidth: 2, pointRadius: 0 }] },
    options: {
      parsing: false,
      scales: { x: { type: "linear", title: { display: true, text: "step" } },
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
    pauseBtn.textContent = "Pause";
  }

  function closeStream() {
    if (es) { es.close(); es = null; }
  }

  function request() {
    const body = { expr: $("#expr").value };
    ["x_min", "x_max", "width", "depth", "lr", "steps", "every"].forEach((k) => {
      body[k] = num($("#" + k));
    });
    ["activation", "optimizer", "backend"].forEach((k) => { body[k] = $("#" + k).value; });
    return body;
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
    const kinks = curve.data.datasets[2].hidden ? "" : ` · ${d.kinks.length} kinks in range`;
    statusLine.textContent = `step ${d.step} / ${d.steps} · loss ${fmt(d.loss)}${kinks}`;
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
      showError(errorBox, e.message);
      state.status = "refused";
      statusLine.textContent = "Not started.";
      return;
    }
    state.session = start.session;
    state.step = 0;
    state.loss = null;
    state.status = "running";
    drawTarget(start);
    bar.value = 0;
    statusLine.classList.remove("ok");
    statusLine.textContent = "training…";
    setRunning(true);
    es = stream(start.session, {
      progress: (d) => onProgress(d, start.x),
      status: (d) => { state.status = d.status; if (d.status === "paused") statusLine.textContent += " · paused"; },
      done: (d) => {
        state.status = d.status;
        setRunning(false);
        if (d.status === "done") {
          statusLine.classList.add("ok");
          statusLine.textContent = `done: ${d.step} steps · loss ${fmt(state.loss)} · ` +
            `MSE on the grid ${fmt(d.grid_mse)} · largest error ${fmt(d.max_abs_error)}`;
        } else {
          statusLine.textContent = `stopped at step ${state.step} · loss ${fmt(state.loss)}`;
        }
        es = null;
      },
      failed: (d) => {
        state.status = "failed";
        setRunning(false);
        showError(errorBox, d.error);
        es = null;
      },
      lost: () => {
        if (state.status === "running" || state.status === "paused") {
          state.status = "lost";
          setRunning(false);
          showError(errorBox, "lost the connection to the studio server");
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
      statusLine.textContent = `stopped at step ${state.step} · loss ${fmt(state.loss)}`;
    }
    setRunning(false);
  }

  async function togglePause() {
    if (!state.session) return;
    try {
      const r = await api(`/api/sessions/${state.session}/pause`, { paused: !paused });
      paused = r.status === "paused";
      pauseBtn.textContent = paused ? "Resume" : "Pause";
      state.status = r.status;
    } catch (e) {
      showError(errorBox, e.message);
    }
  }

  form.addEventListener("submit", train);
  pauseBtn.addEventListener("click", togglePause);
  stopBtn.addEventListener("click", stop);
})();

// Digits page: draw, and watch the network's probabilities for 0-9 change as you draw.
"use strict";

(async () => {
  const { $, api, showError, num, stream } = window.studio;
  const { t } = window.fcnetI18n;
  await window.fcnetI18n.ready;
  // A training session's states, as the server names them (fcnet/studio/sessions.py).
  const STATUS = { created: t("created"), running: t("running"), paused: t("paused"),
    done: t("done"), stopped: t("stopped"), failed: t("failed") };
  const pad = $("#pad"), ctx = pad.getContext("2d");
  const seen = $("#seen"), seenCtx = seen.getContext("2d");
  const modelSel = $("#model"), errorBox = $("#error"), predEl = $("#prediction");
  const trainStatus = $("#train-status"), bar = $("#progress");
  const state = (window.digitsState = { prediction: null, probs: null, answered: 0, training: null });
  let drawing = false, last = null, inFlight = false, dirty = false, hasInk = false, es = null;

  const probs = new Chart($("#probs"), {
    type: "bar",
    data: {
      labels: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      datasets: [{ label: t("probability"), data: new Array(10).fill(0), backgroundColor: "#2f6fde" }],
    },
    options: {
      indexAxis: "y",
      scales: { x: { min: 0, max: 1 }, y: { ticks: { font: { size: 15 } } } },
      plugins: { legend: { display: false } },
    },
  });

  function clearPad() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, pad.width, pad.height);
    seenCtx.fillStyle = "#000";
    seenCtx.fillRect(0, 0, 28, 28);
    hasInk = false;
    state.prediction = null;
    state.probs = null;
    predEl.textContent = "–";
    probs.data.datasets[0].data = new Array(10).fill(0);
    probs.update();
  }

  function point(e) {
    const r = pad.getBoundingClientRect();
    return { x: (e.clientX - r.left) * (pad.width / r.width),
             y: (e.clientY - r.top) * (pad.height / r.height) };
  }

  function stroke(a, b) {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 20;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  pad.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    drawing = true;
    last = point(e);
    stroke(last, last);
    hasInk = true;
    predictSoon();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    e.preventDefault();
    const p = point(e);
    stroke(last, p);
    last = p;
    predictSoon();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    predictSoon();
    bringIntoView();
  };

  // On a phone the answer sits below the pad: once the stroke ends, show it.
  function bringIntoView() {
    const r = $("#prediction").getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) {
      $("#prediction").scrollIntoView({ block: "nearest", behavior: "instant" });
    }
  }
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  // One request in flight at a time; a drawing that changed meanwhile is sent next.
  function predictSoon() {
    dirty = true;
    if (!inFlight) predict();
  }

  async function predict() {
    if (!hasInk) return;
    if (!modelSel.value) {
      showError(errorBox,
        t("No model yet: train a quick one, or run `fcnet mnist` and pick its run."));
      return;
    }
    dirty = false;
    inFlight = true;
    try {
      const r = await api("/api/digits/predict", { model: modelSel.value, image: pad.toDataURL("image/png") });
      showError(errorBox, "");
      showInput(r.input);
      state.answered += 1;
      if (r.probs) {
        state.prediction = r.prediction;
        state.probs = r.probs;
        predEl.textContent = `${r.prediction}  (${(100 * r.probs[r.prediction]).toFixed(1)}%)`;
        probs.data.datasets[0].data = r.probs;
        probs.data.datasets[0].backgroundColor = r.probs.map((_, i) =>
          i === r.prediction ? "#2f6fde" : "#9db8ec");
        probs.update();
      }
    } catch (e) {
      showError(errorBox, e.message);
    } finally {
      inFlight = false;
      if (dirty) predict();
    }
  }

  function showInput(pixels) {
    const img = seenCtx.createImageData(28, 28);
    pixels.forEach((v, i) => {
      const g = Math.round(255 * v);
      img.data.set([g, g, g, 255], 4 * i);
    });
    seenCtx.putImageData(img, 0, 0);
  }

  async function loadModels(select) {
    try {
      const { models, skipped } = await api("/api/digits/models");
      const box = $("#skipped");
      box.replaceChildren(...(skipped || []).map((x) => {
        const line = document.createElement("div");
        line.textContent = t("skipped {name}: {problem}", { name: x.name, problem: x.problem });
        return line;
      }));
      box.hidden = !(skipped || []).length;
      const keep = select || modelSel.value;
      modelSel.innerHTML = "";
      if (!models.length) modelSel.add(new Option(t("(none yet: train one below)"), ""));
      models.forEach((m) => modelSel.add(new Option(m.label, m.id)));
      if (keep && models.some((m) => m.id === keep)) modelSel.value = keep;
    } catch (e) {
      showError(errorBox, e.message);
    }
  }

  async function train(ev) {
    ev.preventDefault();
    showError(errorBox, "");
    if (es) return;
    let start;
    try {
      start = await api("/api/digits/train", { width: num($("#width")), epochs: num($("#epochs")) });
    } catch (e) {
      showError(errorBox, e.message);
      return;
    }
    state.training = "running";
    $("#train").disabled = true;
    $("#stop").disabled = false;
    trainStatus.textContent = t("starting…");
    bar.value = 0;
    const finish = () => {
      es = null;
      $("#train").disabled = false;
      $("#stop").disabled = true;
    };
    es = stream(start.session, {
      status: (d) => {
        trainStatus.textContent = t("{status}…", { status: STATUS[d.status] || d.status });
      },
      progress: (d) => {
        bar.value = d.step / d.steps;
        trainStatus.textContent = t("epoch {epoch} / {epochs} · step {step} / {steps} · loss {loss}",
          { epoch: d.epoch, epochs: d.epochs, step: d.step, steps: d.steps,
            loss: d.loss.toFixed(4) });
      },
      done: async (d) => {
        finish();
        state.training = d.status;
        if (d.status === "done") {
          bar.value = 1;
          trainStatus.textContent = t("done: test accuracy {accuracy}%",
            { accuracy: (100 * d.test_accuracy).toFixed(2) });
          await loadModels(d.model);
          if (hasInk) predictSoon();
        } else {
          trainStatus.textContent = t("stopped");
        }
      },
      failed: (d) => { finish(); state.training = "failed"; showError(errorBox, d.error); },
      lost: () => { finish(); state.training = "lost"; },
    });
    $("#stop").onclick = async () => {
      try { await api(`/api/sessions/${start.session}/stop`, {}); } catch (e) { /* gone */ }
    };
  }

  $("#clear").addEventListener("click", clearPad);
  $("#train-form").addEventListener("submit", train);
  modelSel.addEventListener("change", () => { if (hasInk) predictSoon(); });
  clearPad();
  loadModels();
})();

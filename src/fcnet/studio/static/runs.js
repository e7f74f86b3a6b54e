// Runs page: the run folders, two side by side: config, result, metric curves, plots.
"use strict";

(async () => {
  const { $, api, el, showError } = window.studio;
  const { t } = window.fcnetI18n;
  await window.fcnetI18n.ready;
  const errorBox = $("#error");
  const charts = { a: [], b: [] };
  const shown = { a: null, b: null };  // the run detail each pane shows
  let compareChart = null;
  // Above this many points a curve is drawn as a line alone (markers would make a band).
  const MARKERS_UP_TO = 40;
  const PALETTE = ["#2f6fde", "#e4572e", "#17a398", "#7a3ede", "#f2a541", "#5f6b7a", "#c2185b"];

  function fmt(v) {
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toPrecision(4);
  }

  // A run's API path: its name may be nested ("demo-<time>/mnist"), each part encoded.
  const runUrl = (name) => "/api/runs/" + name.split("/").map(encodeURIComponent).join("/");

  function metricsText(metrics) {
    return Object.entries(metrics || {})
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => `${k} ${fmt(v)}`).join(" · ");
  }

  async function loadList() {
    let data;
    try {
      data = await api("/api/runs");
    } catch (e) {
      showError(errorBox, e.message);
      return;
    }
    const body = $("#runs-table tbody");
    body.innerHTML = "";
    showSkipped(data.skipped || [], data.truncated);
    if (!data.runs.length) {
      body.append(el("tr", {}, el("td", { colspan: "4" },
        t('No runs under {folder}/ yet: try `fcnet fit "sin(x)"` or `fcnet mnist`.',
          { folder: data.runs_dir }))));
      return;
    }
    data.runs.forEach((run) => {
      const pick = (side) => {
        const b = el("button", { type: "button", "data-run": run.name, "data-side": side },
          side.toUpperCase());
        b.addEventListener("click", () => show(side, run.name));
        return b;
      };
      body.append(el("tr", { "data-run": run.name },
        el("td", {}, el("div", { class: "run-label" }, run.label || run.task),
          el("div", { class: "small-note" }, run.name)),
        el("td", {}, run.modified),
        el("td", { class: "num" }, metricsText(run.metrics)),
        el("td", {}, el("div", { class: "pick" }, pick("a"), pick("b")))));
    });
    const params = new URLSearchParams(location.search);
    const a = params.get("a") || (data.runs[0] && data.runs[0].name);
    const b = params.get("b") || (data.runs[1] && data.runs[1].name);
    if (a) show("a", a);
    if (b) show("b", b);
  }

  // Runs whose files the server refused to read: named, with the reason, not hidden.
  function showSkipped(skipped, truncated) {
    const box = $("#skipped");
    const items = skipped.map((s) => el("li", {}, el("code", {}, s.name), `: ${s.problem}`));
    if (truncated) {
      items.push(el("li", {},
        t("the runs folder is larger than the studio scans; only part of it is listed")));
    }
    box.replaceChildren(...(items.length ? [
      el("p", {}, t("{count} run folder(s) skipped:", { count: skipped.length })), el("ul", {}, items)] : []));
    box.hidden = !items.length;
  }

  // The x of a metric record: its epoch, else its step (a fit saved from the studio).
  function xOf(r, i) {
    if (typeof r.epoch === "number") return r.epoch;
    if (typeof r.step === "number") return r.step;
    return i + 1;
  }
  const xTitle = (records) => (records.length && typeof records[0].epoch !== "number" &&
    typeof records[0].step === "number" ? t("step") : t("epoch"));

  // Metric records -> series by key, split into losses/errors and the rest (accuracy, AUC).
  function series(records) {
    const groups = { loss: {}, score: {} };
    records.forEach((r, i) => {
      const x = xOf(r, i);
      Object.entries(r).forEach(([k, v]) => {
        if (typeof v !== "number" || k === "epoch" || /second|time|^lr$|step/.test(k)) return;
        const g = /loss|mse|error/.test(k) ? "loss" : "score";
        (groups[g][k] = groups[g][k] || []).push({ x, y: v });
      });
    });
    return groups;
  }

  function lineStyle(color, n) {
    return { borderColor: color, backgroundColor: color, borderWidth: 2,
      pointRadius: n > MARKERS_UP_TO ? 0 : 2, pointHoverRadius: 4 };
  }

  function chart(canvas, byKey, title, logY, xLabel) {
    const datasets = Object.entries(byKey).map(([k, pts], i) => ({
      label: k, data: pts, ...lineStyle(PALETTE[i % PALETTE.length], pts.length),
    }));
    const positive = datasets.every((d) => d.data.every((p) => p.y > 0));
    return new Chart(canvas, {
      type: "line",
      data: { datasets },
      options: {
        parsing: false,
        scales: {
          x: { type: "linear", title: { display: true, text: xLabel }, ticks: { precision: 0 } },
          y: { type: logY && positive ? "logarithmic" : "linear" },
        },
        plugins: { title: { display: true, text: title } },
      },
    });
  }

  // Compare: one metric of runs A and B as two curves on one pair of axes.
  function drawCompare() {
    const box = $("#compare"), select = $("#compare-metric");
    const [a, b] = [shown.a, shown.b];
    if (compareChart) { compareChart.destroy(); compareChart = null; }
    if (!a || !b) { box.hidden = true; return; }
    const keys = (run) => {
      const g = series(run.metrics);
      return new Set([...Object.keys(g.loss), ...Object.keys(g.score)]);
    };
    const ka = keys(a), kb = keys(b);
    const common = [...ka].filter((k) => kb.has(k));
    box.hidden = false;
    const note = $("#compare-note");
    if (!common.length) {
      select.replaceChildren();
      note.textContent = t("These two runs record no metric in common (see each one below).");
      return;
    }
    note.textContent = "";
    const preferred = ["val_loss", "train_loss", "test_accuracy", "val_accuracy", "val_auc"];
    const keep = common.includes(select.value) ? select.value :
      (preferred.find((k) => common.includes(k)) || common[0]);
    select.replaceChildren(...common.map((k) => new Option(k, k)));
    select.value = keep;
    const pick = (run) => {
      const g = series(run.metrics);
      return g.loss[keep] || g.score[keep];
    };
    const colors = { a: "#2f6fde", b: "#e4572e" };
    const datasets = [["a", a], ["b", b]].map(([side, run]) => ({
      label: `${side.toUpperCase()}: ${run.label || run.name}`,
      data: pick(run), ...lineStyle(colors[side], pick(run).length),
    }));
    const logY = /loss|mse|error/.test(keep) &&
      datasets.every((d) => d.data.every((p) => p.y > 0));
    const xa = xTitle(a.metrics), xb = xTitle(b.metrics);
    compareChart = new Chart($("#compare-chart"), {
      type: "line",
      data: { datasets },
      options: {
        parsing: false,
        scales: {
          x: { type: "linear", ticks: { precision: 0 },
            title: { display: true, text: xa === xb ? xa : t("{xa} (A) / {xb} (B)", { xa, xb }) } },
          y: { type: logY ? "logarithmic" : "linear", title: { display: true, text: keep } },
        },
        plugins: { title: { display: true,
          text: t("{metric}: A and B on the same axes", { metric: keep }) } },
      },
    });
  }

  async function show(side, name) {
    const pane = $(`#pane-${side}`);
    charts[side].forEach((c) => c.destroy());
    charts[side] = [];
    let run;
    try {
      run = await api(runUrl(name));
    } catch (e) {
      pane.replaceChildren(el("div", { class: "error" }, e.message));
      shown[side] = null;
      drawCompare();
      return;
    }
    const parts = [el("h2", {}, `${side.toUpperCase()}: ${run.label || run.name}`),
      el("div", { class: "small-note" }, run.name)];
    (run.problems || []).forEach((p) => parts.push(el("div", { class: "error" }, p)));
    const result = run.result && (run.result.metrics || run.result);
    if (result && typeof result === "object") {
      const rows = Object.entries(result).filter(([, v]) => typeof v !== "object" || v === null);
      if (rows.length) {
        parts.push(el("table", {}, el("tbody", {},
          rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", { class: "num" }, fmt(v)))))));
      }
    }
    const groups = series(run.metrics);
    const canvases = [];
    [["loss", t("loss and error"), true], ["score", t("accuracy and other metrics"), false]]
      .forEach(([g, title, logY]) => {
        if (!Object.keys(groups[g]).length) return;
        const canvas = el("canvas", { "data-chart": g });
        parts.push(el("div", { class: "chart-box small" }, canvas));
        canvases.push([canvas, groups[g], title, logY]);
      });
    if (!run.metrics.length) parts.push(el("p", { class: "hint" }, t("No metrics.jsonl in this run.")));
    if (run.plots.length) {
      parts.push(el("h2", {}, t("Plots")));
      parts.push(el("div", { class: "plots" }, run.plots.map((p) => {
        const src = `${runUrl(run.name)}/plots/${encodeURIComponent(p)}`;
        return el("figure", {}, el("a", { href: src, target: "_blank", rel: "noopener" },
          el("img", { src, alt: p, loading: "lazy" })), el("figcaption", {}, p));
      })));
    }
    if (run.run && run.run.options) {
      parts.push(el("details", {}, el("summary", {}, t("options (run.json)")),
        el("pre", {}, JSON.stringify(run.run.options, null, 2))));
    }
    parts.push(el("details", { open: "" }, el("summary", {}, t("config.json (the network)")),
      el("pre", {}, JSON.stringify(run.config, null, 2))));
    pane.replaceChildren(...parts);
    pane.dataset.run = run.name;
    const xLabel = xTitle(run.metrics);
    canvases.forEach(([c, g, title, l]) => charts[side].push(chart(c, g, title, l, xLabel)));
    shown[side] = run;
    drawCompare();
  }

  $("#compare-metric").addEventListener("change", drawCompare);

  loadList();
})();

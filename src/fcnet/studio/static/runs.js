// Runs page: the run folders, two side by side: config, result, metric curves, plots.
"use strict";

(() => {
  const { $, api, showError } = window.studio;
  const errorBox = $("#error");
  const charts = { a: [], b: [] };
  const PALETTE = ["#2f6fde", "#e4572e", "#17a398", "#7a3ede", "#f2a541", "#5f6b7a", "#c2185b"];

  // Build elements with text only (run names and configs come from files: never as HTML).
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : String(c)));
    return node;
  }

  function fmt(v) {
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toPrecision(4);
  }

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
    if (!data.runs.length) {
      body.append(el("tr", {}, el("td", { colspan: "4" },
        `No runs under ${data.runs_dir}/ yet: try \`fcnet fit "sin(x)"\` or \`fcnet mnist\`.`)));
      return;
    }
    data.runs.forEach((run) => {
      const pick = (side) => {
        const b = el("button", { type: "button", "data-run": run.name, "data-side": side },
          side.toUpperCase());
        b.addEventListener("click", () => show(side, run.name));
        return b;
      };
      body.append(el("tr", {},
        el("td", {}, run.name, el("div", { class: "small-note" }, run.task)),
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

  // Metric records -> series by key, split into losses/errors and the rest (accuracy, AUC).
  function series(records) {
    const groups = { loss: {}, score: {} };
    records.forEach((r, i) => {
      const x = typeof r.epoch === "number" ? r.epoch : i + 1;
      Object.entries(r).forEach(([k, v]) => {
        if (typeof v !== "number" || k === "epoch" || /second|time|^lr$|step/.test(k)) return;
        const g = /loss|mse|error/.test(k) ? "loss" : "score";
        (groups[g][k] = groups[g][k] || []).push({ x, y: v });
      });
    });
    return groups;
  }

  function chart(canvas, byKey, title, logY) {
    const datasets = Object.entries(byKey).map(([k, pts], i) => ({
      label: k, data: pts, borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length], borderWidth: 2, pointRadius: 2,
    }));
    const positive = datasets.every((d) => d.data.every((p) => p.y > 0));
    return new Chart(canvas, {
      type: "line",
      data: { datasets },
      options: {
        parsing: false,
        scales: {
          x: { type: "linear", title: { display: true, text: "epoch" }, ticks: { precision: 0 } },
          y: { type: logY && positive ? "logarithmic" : "linear" },
        },
        plugins: { title: { display: true, text: title } },
      },
    });
  }

  async function show(side, name) {
    const pane = $(`#pane-${side}`);
    charts[side].forEach((c) => c.destroy());
    charts[side] = [];
    let run;
    try {
      run = await api(`/api/runs/${encodeURIComponent(name)}`);
    } catch (e) {
      pane.replaceChildren(el("div", { class: "error" }, e.message));
      return;
    }
    const parts = [el("h2", {}, `${side.toUpperCase()}: ${run.name}`)];
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
    [["loss", "loss and error", true], ["score", "accuracy and other metrics", false]]
      .forEach(([g, title, logY]) => {
        if (!Object.keys(groups[g]).length) return;
        const canvas = el("canvas", { "data-chart": g });
        parts.push(el("div", { class: "chart-box small" }, canvas));
        canvases.push([canvas, groups[g], title, logY]);
      });
    if (!run.metrics.length) parts.push(el("p", { class: "hint" }, "No metrics.jsonl in this run."));
    if (run.plots.length) {
      parts.push(el("h2", {}, "Plots"));
      parts.push(el("div", { class: "plots" }, run.plots.map((p) => {
        const src = `/api/runs/${encodeURIComponent(run.name)}/plots/${encodeURIComponent(p)}`;
        return el("figure", {}, el("a", { href: src, target: "_blank", rel: "noopener" },
          el("img", { src, alt: p, loading: "lazy" })), el("figcaption", {}, p));
      })));
    }
    if (run.run && run.run.options) {
      parts.push(el("details", {}, el("summary", {}, "options (run.json)"),
        el("pre", {}, JSON.stringify(run.run.options, null, 2))));
    }
    parts.push(el("details", { open: "" }, el("summary", {}, "config.json (the network)"),
      el("pre", {}, JSON.stringify(run.config, null, 2))));
    pane.replaceChildren(...parts);
    pane.dataset.run = run.name;
    canvases.forEach(([c, g, t, l]) => charts[side].push(chart(c, g, t, l)));
  }

  loadList();
})();

// fcnet studio, Backprop page opened as /backprop?explain=FILE: the learner's backprop
// exercise file run along a small network (POST /api/backprop/explain, in the checks'
// sandboxed child), each quantity's numbers beside fcnet's, the entries that differ marked
// (red and a ✗, so colour is not needed to see them), the formula typeset, and the first
// departure said in a sentence. Every number and verdict comes from the server.
"use strict";

(async () => {
  const file = new URLSearchParams(window.location.search).get("explain");
  if (file === null) return;
  const { $, api, showError } = window.studio;
  const { t } = window.fcnetI18n;
  await window.fcnetI18n.ready;
  const MARK = "✗";
  const state = { doc: null, selected: null, status: "loading" };
  window.bpExplain = state;
  const section = $("#explain");
  section.hidden = false;
  $("#explain-file").textContent = t("your file: {file}", { file });
  $("#explain-sentence").textContent = t("running your functions in the sandbox…");

  // 6 significant digits, enough to see a small difference; "—" for a missing number.
  function num(v) {
    if (v === null || v === undefined) return "—";
    if (v === 0) return "0";
    const s = String(Number(v.toPrecision(6)));
    return s === "-0" ? "0" : s;
  }

  const grid = (v) => (Array.isArray(v) ? (Array.isArray(v[0]) ? v : [v]) : [[v]]);

  function table(el, values, differs, label) {
    el.replaceChildren();
    el.setAttribute("aria-label", label);
    if (values === null || values === undefined) {
      const row = el.insertRow();
      row.insertCell().textContent = t("not computed");
      return;
    }
    const rows = grid(values);
    const marks = differs === null || differs === undefined ? null : grid(differs);
    const head = el.createTHead().insertRow();
    head.appendChild(document.createElement("th"));
    rows[0].forEach((_v, j) => {
      const th = document.createElement("th");
      th.textContent = String(j);
      head.appendChild(th);
    });
    const body = el.createTBody();
    rows.forEach((row, i) => {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.textContent = String(i);
      tr.appendChild(th);
      row.forEach((v, j) => {
        const td = tr.insertCell();
        const bad = marks && marks[i][j];
        td.textContent = bad ? `${MARK} ${num(v)}` : num(v);
        if (bad) {
          td.classList.add("diff");
          td.title = t("differs from fcnet's");
        }
        td.dataset.i = String(i);
        td.dataset.j = String(j);
      });
    });
  }

  function statusText(q) {
    if (q.status === "same") return t("same as fcnet's");
    if (q.status === "differs") return t("differs in {count} entries", { count: q.count });
    if (q.status === "error") return t("error");
    return t("not computed");
  }

  const MARKS = { same: "✓", differs: MARK, error: "!", not_computed: "–" };

  function verdictText(q) {
    if (q.verdict === "wrong") {
      return t("{function} is wrong given right inputs: called on fcnet's own inputs, it still differs",
        { function: q.function });
    }
    if (q.verdict === "inherits") {
      return t("{function} is right given fcnet's inputs: this quantity inherits an earlier difference",
        { function: q.function });
    }
    return statusText(q);
  }

  function select(key) {
    const q = state.doc.quantities.find((x) => x.key === key);
    if (!q) return;
    state.selected = key;
    document.querySelectorAll("#explain-chain button").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.key === key));
    });
    $("#explain-detail").hidden = false;
    $("#explain-call").textContent = q.call;
    const box = $("#explain-tex");
    if (window.katex) {
      window.katex.render(q.tex, box, { throwOnError: false, displayMode: true, strict: "ignore" });
    } else {
      box.textContent = q.formula;
    }
    $("#explain-verdict").textContent = verdictText(q);
    showError($("#explain-message"), q.message || "");
    table($("#explain-yours"), q.yours, q.differs, t("yours"));
    table($("#explain-fcnet"), q.fcnet, q.differs, t("fcnet's"));
  }

  function render(doc) {
    state.doc = doc;
    const sentence = $("#explain-sentence");
    sentence.textContent = doc.summary;
    sentence.classList.toggle("bad", Boolean(doc.first || doc.error));
    const chain = $("#explain-chain");
    chain.replaceChildren();
    let layer = null;
    for (const q of doc.quantities) {
      if (q.layer !== layer) {
        layer = q.layer;
        const span = document.createElement("span");
        span.className = "layer-label";
        span.textContent = t("layer {l}", { l: q.layer });
        chain.appendChild(span);
      }
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.key = q.key;
      b.className = q.status;
      b.textContent = `${q.symbol} ${MARKS[q.status] || ""}`;
      b.title = `${q.function}: ${statusText(q)}`;
      b.addEventListener("click", () => select(q.key));
      chain.appendChild(b);
    }
    const out = $("#explain-output");
    out.textContent = doc.output ? t("what your file printed:") + "\n" + doc.output : "";
    out.hidden = !doc.output;
    select(doc.first ? doc.first.key : doc.quantities[0].key);
  }

  // The drawing below: fcnet's own network with the same weights, on sample 1 (no hidden
  // unit at relu's kink, so the page's finite-difference check holds), through the
  // page's "your own weights" (once the page has drawn its first network).
  async function drawNetwork(doc) {
    for (let i = 0; i < 200 && !(window.bpState && window.bpState.status === "idle"); i += 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const net = doc.network;
    $("#activation").value = "relu";
    $("#loss").value = "cross_entropy";
    $("#output_activation").value = "linear";
    $("#x").value = net.x[1].join(",");
    $("#y").value = String(net.y[1]);
    $("#weights-json").value = JSON.stringify({
      layers: [{ W: net.W1, b: net.b1 }, { W: net.W2, b: net.b2 }],
    });
    $("#use-weights").click();
  }

  try {
    const doc = await api("/api/backprop/explain", { file });
    render(doc);
    state.status = "done";
    await drawNetwork(doc);
  } catch (e) {
    $("#explain-sentence").textContent = "";
    showError($("#explain-message"), e.message);
    state.status = "error";
  }
  section.scrollIntoView({ block: "start" });
})();

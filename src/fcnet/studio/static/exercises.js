// Exercises page: the course's exercises with your file and its last result; check a file
// as `fcnet check` does, see each check (✓/✗, its message, your numbers beside the
// expected ones) and ask a failing check for a hint, one level further each time.
// Every text from the server or your file is shown as text.
"use strict";

(async () => {
  const { $, api, el, showError } = window.studio;
  const { t } = window.fcnetI18n;
  const state = { status: "loading", levels: 3, files: {}, report: null, hints: 0 };
  window.exercisesState = state;
  await window.fcnetI18n.ready;
  const errorBox = $("#error");

  const when = (iso) => iso.replace("T", " ").replace("+00:00", " UTC");

  function lastResult(last) {
    if (!last) return t("not checked yet");
    const result = t("{passed} of {total} passed", { passed: last.passed, total: last.total });
    return `${result} · ${last.file} · ${when(last.when)}`;
  }

  async function loadList() {
    let data;
    try {
      data = await api("/api/exercises");
    } catch (e) {
      showError(errorBox, e.message);
      state.status = "error";
      return;
    }
    state.levels = data.levels;
    $("#root").textContent = t("Your files are looked for in {root}.", { root: data.root });
    showError($("#warning"), data.warning || "");
    const body = $("#exercises-table tbody");
    body.innerHTML = "";
    data.exercises.forEach((row) => {
      const name = row.exercise;
      const input = el("input", { type: "text", "aria-label": t("your file"), spellcheck: "false" });
      input.value = state.files[name] ?? row.file ?? "";
      input.placeholder = t("a .py or .ipynb file in this folder");
      input.addEventListener("input", () => { state.files[name] = input.value; });
      const button = el("button", { type: "button", class: "check-button" }, t("Check"));
      button.addEventListener("click", () => runCheck(name, input.value.trim()));
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") button.click(); });
      const last = el("td", { class: "last" }, lastResult(row.last));
      if (row.last) last.classList.add(row.last.failed.length ? "bad" : "ok");
      body.append(el("tr", { "data-exercise": name },
        el("td", {}, el("div", { class: "name" }, name), el("div", { class: "small-note" }, row.what),
          el("div", { class: "small-note" }, row.section)),
        el("td", { class: "file" }, input),
        last,
        el("td", {}, button)));
    });
    if (state.status === "loading") state.status = "ready";
  }

  function busy(on) {
    document.querySelectorAll("button.check-button, button.hint-button")
      .forEach((b) => { b.disabled = on || b.dataset.done === "1"; });
  }

  async function runCheck(name, file) {
    showError(errorBox, "");
    state.status = "checking";
    busy(true);
    $("#verdict").className = "status";
    $("#verdict").textContent = t("Checking {file}…", { file });
    let data;
    try {
      data = await api("/api/exercises/check", { name, file });
    } catch (e) {
      showError(errorBox, e.message);
      $("#verdict").textContent = "";
      state.status = "error";
      busy(false);
      return;
    }
    state.report = data;
    state.hints = 0;
    showReport(name, data);
    state.status = "checked";
    busy(false);
    loadList();
  }

  function showReport(name, data) {
    $("#report-pane").hidden = false;
    $("#report-title").textContent = t("Checks of {file} against exercise {exercise}",
      { exercise: name, file: data.file });
    const ok = data.checks.filter((c) => c.passed).length;
    const verdict = data.passed ? t("all passed")
      : t("{ok} of {total} passed", { ok, total: data.checks.length });
    const verdictBox = $("#verdict");
    verdictBox.textContent = `${verdict} · ${Number(data.seconds).toFixed(1)} s`;
    verdictBox.className = data.passed ? "status ok" : "status bad";
    const off = Object.entries(data.protections || {}).filter(([, on]) => !on).map(([k]) => k);
    const notes = [...(data.warnings || [])];
    if (off.length || !Object.keys(data.protections || {}).length) {
      notes.push(t("note: protections off on this system: {what}",
        { what: off.length ? off.join(", ") : t("the sandbox is unavailable") }));
    }
    showError($("#protections"), notes.join("\n"));
    const list = $("#checks");
    list.innerHTML = "";
    data.checks.forEach((c) => list.append(checkItem(name, data.file, c, data.hint_levels || {})));
    const detail = $("#detail");
    detail.textContent = [data.detail, data.output].filter(Boolean).join("\n\n");
    detail.hidden = !detail.textContent;
    $("#report-pane").scrollIntoView({ block: "nearest" });
  }

  function checkItem(name, file, c, levels) {
    const item = el("li", { class: c.passed ? "check ok" : "check bad", "data-check": c.name });
    const line = c.message
      ? t("{mark} {title}: {message}", { mark: c.passed ? "✓" : "✗", title: c.title, message: c.message })
      : `${c.passed ? "✓" : "✗"} ${c.title}`;
    item.append(el("div", { class: "line" }, line));
    if (c.passed) return item;
    if (c.diff) item.append(diffBlock(c.diff));
    const hints = el("ul", { class: "hints" });
    const actions = el("div", { class: "buttons" });
    const button = el("button", { type: "button", class: "hint-button" });
    const label = (level) => {
      button.textContent = t("Hint {level}/{levels}", { level: Math.min(level + 1, state.levels), levels: state.levels });
    };
    label(levels[c.name] || 0);
    button.addEventListener("click", async () => {
      showError(errorBox, "");
      button.disabled = true;
      try {
        const h = await api("/api/exercises/hint", { name, file, check: c.name });
        hints.append(el("li", { "data-level": h.level },
          t("Hint {level}/{levels}: {text}", { level: h.level, levels: h.levels, text: h.text })));
        state.hints += 1;
        label(h.level);
        if (h.level >= h.levels) {
          button.dataset.done = "1";
          button.title = t("That was the last hint: the course text's line.");
        }
      } catch (e) {
        showError(errorBox, e.message);
      }
      button.disabled = button.dataset.done === "1";
    });
    actions.append(button);
    if (name === "backprop") {
      const link = el("a", { class: "button-link backprop-link", href: "/backprop?explain=" + encodeURIComponent(file) });
      link.textContent = t("Open in the Backprop page");
      actions.append(link);
    }
    item.append(actions, hints);
    return item;
  }

  const cell = (v) => (typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v));

  // fcnet.learn.diff's data: a window of yours beside the expected, differing entries marked.
  function diffBlock(d) {
    const first = d.indices[0];
    const size = d.shape.reduce((a, b) => a * b, 1);
    let where = t("{quantity} differs in {count} of {size} entries, first at index {index}", {
      quantity: d.quantity, count: d.count, size,
      index: first.length === 1 ? first[0] : `(${first.join(", ")})`,
    });
    if (first.length >= 2) where += t(" (row {row})", { row: first[0] });
    const box = el("div", { class: "diff" }, el("div", { class: "small-note" }, where));
    const [r0] = d.rows;
    const [c0, c1] = d.columns;
    const blocks = [[t("yours"), d.yours]];
    if (d.expected) blocks.push([t("expected"), d.expected]);
    const tables = el("div", { class: "diff-tables" });
    blocks.forEach(([label, rows]) => {
      const head = el("tr", {}, el("th", {}, ""));
      for (let j = c0; j < c1; j += 1) head.append(el("th", { class: "num" }, j));
      const table = el("table", { class: "diff-table" }, el("caption", {}, label), el("thead", {}, head));
      const body = el("tbody");
      rows.forEach((row, i) => {
        const tr = el("tr", {}, el("th", { class: "num" }, d.shape.length >= 2 ? r0 + i : ""));
        row.forEach((v, j) => tr.append(el("td", { class: d.marked[i][j] ? "num marked" : "num" }, cell(v))));
        body.append(tr);
      });
      table.append(body);
      tables.append(table);
    });
    box.append(tables);
    if (d.inputs && d.inputs.length) box.append(inputsBlock(d));
    return box;
  }

  // What the check passed to your function (the diff's "inputs"): whole when small, to
  // paste into Python, else an excerpt on the same rows and columns.
  function inputsBlock(d) {
    const literal = (v) => JSON.stringify(v).replace(/"(-?)(nan|inf)"/g, "$1np.$2").replace(/,/g, ", ");
    const lines = [t("the check called {function} with:", { function: d.function })];
    d.inputs.forEach((e) => {
      const shape = e.shape ? `(${e.shape.join(", ")}${e.shape.length === 1 ? "," : ""})` : "";
      if (typeof e.values === "string") lines.push(`${e.name} = ${JSON.stringify(e.values)}`);
      else if (e.excerpt === null) lines.push(`${e.name}: ${e.dtype}`);
      else if (e.values !== null) lines.push(`${e.name} ${shape} = np.array(${literal(e.values)})`);
      else {
        lines.push(t("{name} {shape}, rows {r0}-{r1}, columns {c0}-{c1}: {excerpt}", {
          name: e.name, shape, r0: e.rows[0], r1: e.rows[1] - 1, c0: e.columns[0], c1: e.columns[1] - 1,
          excerpt: literal(e.excerpt),
        }));
      }
    });
    return el("pre", { class: "code inputs" }, lines.join("\n"));
  }

  loadList();
})();

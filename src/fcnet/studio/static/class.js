// Class page: a grade folder of `fcnet grade`: score histogram, mistakes, students with
// their feedback, similar pairs side by side. Every text from the folder is shown as text.
"use strict";

(async () => {
  const { $, api, el, showError } = window.studio;
  const { t } = window.fcnetI18n;
  const state = { status: "loading", dir: null, data: null };
  window.classState = state;
  await window.fcnetI18n.ready;
  const errorBox = $("#error");
  let histogram = null;

  const q = (params) => new URLSearchParams(params).toString();
  const fmt = (v) => (Number.isInteger(v) ? String(v) : Number(v).toFixed(2));

  async function loadFolders() {
    let data;
    try {
      data = await api("/api/class/folders");
    } catch (e) {
      showError(errorBox, e.message);
      state.status = "error";
      return;
    }
    const select = $("#folder");
    select.innerHTML = "";
    if (!data.folders.length) {
      showError(errorBox, t("No grade folders under {root} yet: run fcnet grade NAME SUBMISSIONS --out DIR.",
        { root: data.root }));
      state.status = "empty";
      return;
    }
    data.folders.forEach((f) => select.append(el("option", { value: f }, f)));
    const wanted = new URLSearchParams(location.search).get("dir");
    if (wanted && data.folders.includes(wanted)) select.value = wanted;
    select.addEventListener("change", () => open(select.value));
    open(select.value);
  }

  async function open(dir) {
    state.status = "loading";
    showError(errorBox, "");
    let data;
    try {
      data = await api("/api/class?" + q({ dir }));
    } catch (e) {
      showError(errorBox, e.message);
      state.status = "error";
      return;
    }
    state.dir = dir;
    state.data = data;
    summary(data);
    drawHistogram(data.students);
    showMistakes(dir, data.mistakes);
    showStudents(data.students);
    showPairs(data.similarity);
    $("#charts").hidden = false;
    $("#students-pane").hidden = false;
    $("#pairs-pane").hidden = false;
    state.status = "loaded";
  }

  function summary(data) {
    const g = data.grade;
    const scores = data.students.map((s) => s.score);
    const mean = scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0;
    const best = Math.max(0, ...data.students.map((s) => s.max_score));
    let text = t("{exercise} (version {version}, seed {seed}): {n} students, mean {mean} of {best}; graded {finished}.", {
      exercise: g.exercise, version: g.version, seed: g.seed, n: data.students.length,
      mean: fmt(mean), best: fmt(best), finished: g.finished,
    });
    if (g.unsafe_no_sandbox) text += " " + t("Graded without the sandbox (--unsafe-no-sandbox).");
    if (g.interrupted) text += " " + t("Interrupted: not every submission is graded.");
    $("#summary").textContent = text;
  }

  function drawHistogram(students) {
    const best = Math.max(1, ...students.map((s) => s.max_score));
    const bins = 10;
    const counts = new Array(bins).fill(0);
    students.forEach((s) => {
      counts[Math.min(bins - 1, Math.floor((s.score / best) * bins))] += 1;
    });
    const labels = counts.map((_c, i) => `${fmt((best * i) / bins)}–${fmt((best * (i + 1)) / bins)}`);
    if (histogram) histogram.destroy();
    histogram = new Chart($("#histogram"), {
      type: "bar",
      data: { labels, datasets: [{ label: t("students"), data: counts, backgroundColor: "#2f6fde" }] },
      options: {
        plugins: { legend: { display: false } },
        scales: {
          x: { title: { display: true, text: t("score") } },
          y: { title: { display: true, text: t("students") }, ticks: { precision: 0 }, beginAtZero: true },
        },
      },
    });
    state.histogram = counts;
  }

  function showMistakes(dir, mistakes) {
    $("#mistakes-img").src = "/api/class/mistakes.png?" + q({ dir, v: Date.now() });
    const body = $("#mistakes-table tbody");
    body.innerHTML = "";
    if (!mistakes.length) {
      body.append(el("tr", {}, el("td", { colspan: "3" }, t("No mistakes: every check passed."))));
    }
    mistakes.forEach((m) => body.append(el("tr", { "data-tag": m.tag },
      el("td", {}, el("div", {}, m.description), el("div", { class: "small-note" }, m.tag)),
      el("td", { class: "num" }, m.students),
      el("td", { class: "num" }, `${Math.round(Number(m.share) * 100)}%`))));
  }

  function showStudents(students) {
    const body = $("#students-table tbody");
    body.innerHTML = "";
    students.forEach((s) => {
      const row = el("tr", { "data-student": s.student },
        el("td", {}, s.student),
        el("td", { class: "num" }, `${fmt(s.score)} / ${fmt(s.max_score)}`),
        el("td", { class: s.status === "ok" ? "status-ok" : "status-bad" }, s.status),
        el("td", {}, (s.mistakes || []).join(", ")),
        el("td", { class: "num" }, fmt(s.seconds)));
      row.addEventListener("click", () => showFeedback(s.student, row));
      body.append(row);
    });
  }

  async function showFeedback(student, row) {
    document.querySelectorAll("#students-table tr.picked").forEach((r) => r.classList.remove("picked"));
    row.classList.add("picked");
    try {
      const data = await api("/api/class/feedback?" + q({ dir: state.dir, student }));
      $("#feedback").textContent = data.markdown;
      $("#feedback-hint").textContent = t("Feedback of {student}, as in feedback/{student}.md:", { student });
      state.feedback = student;
    } catch (e) {
      showError(errorBox, e.message);
    }
  }

  function showPairs(pairs) {
    const body = $("#pairs-table tbody");
    body.innerHTML = "";
    $("#code-a").textContent = "";
    $("#code-b").textContent = "";
    if (!pairs.length) {
      body.append(el("tr", {}, el("td", { colspan: "5" }, t("No similar pairs."))));
    }
    pairs.forEach((p) => {
      const row = el("tr", { "data-a": p.student_a, "data-b": p.student_b },
        el("td", {}, p.student_a), el("td", {}, p.student_b),
        el("td", { class: "num" }, Number(p.score).toFixed(2)),
        el("td", {}, p.lines_a), el("td", {}, p.lines_b));
      row.addEventListener("click", () => showPair(p, row));
      body.append(row);
    });
  }

  // "3-9;14" -> a Set of line numbers
  function lineSet(ranges) {
    const lines = new Set();
    String(ranges || "").split(";").filter(Boolean).forEach((r) => {
      const [a, b] = r.split("-").map(Number);
      for (let i = a; i <= (b || a); i += 1) lines.add(i);
    });
    return lines;
  }

  function fillCode(box, student, code, ranges) {
    const marked = lineSet(ranges);
    box.innerHTML = "";
    box.append(el("div", { class: "small-note" }, student));
    code.split("\n").forEach((line, i) => {
      box.append(el("span", { class: marked.has(i + 1) ? "line match" : "line" },
        el("span", { class: "num" }, i + 1), line));
    });
  }

  async function showPair(p, row) {
    document.querySelectorAll("#pairs-table tr.picked").forEach((r) => r.classList.remove("picked"));
    row.classList.add("picked");
    try {
      const [a, b] = await Promise.all([p.student_a, p.student_b].map(
        (student) => api("/api/class/code?" + q({ dir: state.dir, student }))));
      fillCode($("#code-a"), p.student_a, a.code, p.lines_a);
      fillCode($("#code-b"), p.student_b, b.code, p.lines_b);
      $("#code-a").scrollIntoView({ block: "nearest" });
      state.pair = [p.student_a, p.student_b];
    } catch (e) {
      showError(errorBox, e.message);
    }
  }

  loadFolders();
})();

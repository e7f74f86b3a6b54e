// fcnet studio: helpers the three pages share (requests, errors, navigation).
"use strict";

window.studio = (() => {
  const $ = (sel) => document.querySelector(sel);
  // i18n.js loads after this file: its t() is looked up when a message is shown.
  const t = (text, params) => window.fcnetI18n.t(text, params);

  // POST (or GET when body is undefined) JSON; throws an Error carrying the server's message.
  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new Error(t("the studio server does not answer (is `fcnet serve` still running?)"));
    }
    let data = null;
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      const msg = data && data.error ? data.error : `${res.status} ${res.statusText}`;
      throw new Error(msg);
    }
    return data;
  }

  // Build elements with text only (names, messages and values come from files and the
  // learner's code: never as HTML).
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : String(c)));
    return node;
  }

  function showError(box, message) {
    box.textContent = message;
    box.hidden = !message;
  }

  // A number from an input, or null when empty or not a number (the server says why).
  function num(input) {
    const v = input.value.trim();
    if (v === "") return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }

  function markNav() {
    const page = document.body.dataset.page;
    document.querySelectorAll("header nav a").forEach((a) => {
      if (a.getAttribute("href") === `/${page}`) a.classList.add("active");
    });
  }

  // Open a session's event stream; handlers: {progress, status, done, failed}.
  function stream(sessionId, handlers) {
    const es = new EventSource(`/api/sessions/${sessionId}/events`);
    const on = (name) => (e) => {
      if (!e.data) return;
      const data = JSON.parse(e.data);
      if (handlers[name]) handlers[name](data);
      if (name === "done" || name === "failed") es.close();
    };
    ["progress", "status", "done"].forEach((n) => es.addEventListener(n, on(n)));
    es.addEventListener("failed", on("failed"));
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED && handlers.lost) handlers.lost();
    };
    return es;
  }

  if (window.Chart) {
    Chart.defaults.animation = false;
    Chart.defaults.font.family =
      'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    Chart.defaults.maintainAspectRatio = false;
  }
  document.addEventListener("DOMContentLoaded", markNav);
  return { $, api, el, showError, num, stream };
})();

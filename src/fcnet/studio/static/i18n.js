// fcnet studio in English or Chinese. The pages stay English HTML; this script asks the
// server for the translations (GET /api/i18n, from fcnet's gettext catalog) and replaces
// each unit the way fcnet/studio/i18n.py extracts them: an element holding only text and
// inline markup is one unit (its inner HTML), any other element's text nodes are units,
// and so are placeholder/title/aria-label. Every text a page script shows goes through
// `t("English text", {name: value})`, the one declaration of the message: the catalog
// extraction (fcnet/studio/i18n.py) finds the t("...") literals in static/*.js. Page
// scripts wait for `fcnetI18n.ready` so that t() already knows the translations. Elements
// the scripts add later are caught by a MutationObserver (HTML units only).
// The choice is remembered in localStorage ("fcnet.lang"); the default is the browser's
// preferred language. A cookie tells the server, whose error messages then follow it.
"use strict";

window.fcnetI18n = (() => {
  const KEY = "fcnet.lang";
  const INLINE = new Set(["A", "B", "CODE", "EM", "I", "KBD", "SMALL", "STRONG", "SUB", "SUP"]);
  const ATTRS = ["placeholder", "title", "aria-label"];
  const SKIP = new Set(["SCRIPT", "STYLE"]);

  function preferred() {
    let stored = null;
    try { stored = localStorage.getItem(KEY); } catch (e) { /* storage disabled */ }
    if (stored === "zh" || stored === "en") return stored;
    const langs = navigator.languages && navigator.languages.length
      ? navigator.languages : [navigator.language || "en"];
    for (const l of langs) {
      const head = String(l).toLowerCase();
      if (head.startsWith("zh")) return "zh";
      if (head.startsWith("en")) return "en";
    }
    return "en";
  }

  const lang = preferred();
  document.cookie = `fcnet_lang=${lang}; path=/; SameSite=Strict`;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";

  let exact = new Map();
  let templates = [];

  const collapse = (s) => s.replace(/\s+/g, " ").trim();
  const wanted = (s) => /[A-Za-z]{2}/.test(s);
  const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  function compile(messages) {
    exact = new Map(Object.entries(messages));
    templates = [];
    for (const [id, text] of exact) {
      const names = [];
      const parts = id.split(/\{(\w+)\}/);
      if (parts.length === 1) continue;
      let re = "";
      parts.forEach((p, i) => {
        if (i % 2) { names.push(p); re += "(.+?)"; } else { re += escapeRe(p); }
      });
      templates.push({ re: new RegExp(`^${re}$`), names, text, size: id.length });
    }
    templates.sort((a, b) => b.size - a.size); // the most specific template first
  }

  // A page script's message in the page's language, {name} filled from `params`.
  function t(text, params) {
    const found = exact.has(text) ? exact.get(text) : text;
    if (!params) return found;
    return found.replace(/\{(\w+)\}/g, (all, n) => (n in params ? String(params[n]) : all));
  }

  // The translation of one unit, or null.
  function unit(text) {
    const key = collapse(text);
    if (!key || !wanted(key)) return null;
    if (exact.has(key)) return exact.get(key);
    for (const tpl of templates) {
      const m = tpl.re.exec(key);
      if (!m) continue;
      const values = {};
      tpl.names.forEach((n, i) => { values[n] = m[i + 1]; });
      return tpl.text.replace(/\{(\w+)\}/g, (all, n) => (n in values ? values[n] : all));
    }
    return null;
  }

  function isInlineOnly(el) {
    let text = false;
    for (const c of el.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) { if (c.data.trim()) text = true; }
      else if (c.nodeType === Node.ELEMENT_NODE && !INLINE.has(c.tagName)) return false;
    }
    return text && el.children.length > 0;
  }

  function translateElement(el) {
    for (const a of ATTRS) {
      const v = el.getAttribute(a);
      const tr = v && unit(v);
      if (tr) el.setAttribute(a, tr);
    }
    if (SKIP.has(el.tagName)) return;
    if (el.tagName === "OPTION" && /^[a-z0-9_.\-]*$/.test(collapse(el.textContent))) return;
    if (isInlineOnly(el)) {
      const tr = unit(el.innerHTML);
      if (tr) { el.innerHTML = tr; return; }
    }
    for (const c of Array.from(el.childNodes)) {
      if (c.nodeType === Node.TEXT_NODE) translateText(c);
      else if (c.nodeType === Node.ELEMENT_NODE) translateElement(c);
    }
  }

  function translateText(node) {
    const tr = unit(node.data);
    if (tr !== null && tr !== node.data) {
      const lead = node.data.match(/^\s*/)[0];
      const tail = node.data.match(/\s*$/)[0];
      node.data = lead + tr + tail;
    }
  }

  function observe() {
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === "characterData") translateText(r.target);
        else if (r.type === "attributes") translateElement(r.target);
        else r.addedNodes.forEach((n) => {
          if (n.nodeType === Node.TEXT_NODE) {
            if (n.parentElement && isInlineOnly(n.parentElement)) translateElement(n.parentElement);
            else translateText(n);
          } else if (n.nodeType === Node.ELEMENT_NODE) translateElement(n);
        });
      }
    }).observe(document.documentElement, {
      subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ATTRS,
    });
  }

  function switcher() {
    const header = document.querySelector("header.top") || document.body;
    const select = document.createElement("select");
    select.id = "lang";
    select.setAttribute("aria-label", lang === "zh" ? "语言" : "Language");
    for (const [value, label] of [["en", "English"], ["zh", "中文"]]) {
      const o = document.createElement("option");
      o.value = value;
      o.textContent = label;
      o.selected = value === lang;
      select.appendChild(o);
    }
    select.addEventListener("change", () => {
      try { localStorage.setItem(KEY, select.value); } catch (e) { /* storage disabled */ }
      document.cookie = `fcnet_lang=${select.value}; path=/; SameSite=Strict`;
      location.reload();
    });
    header.appendChild(select);
  }

  const ready = (async () => {
    if (lang === "en") return;
    try {
      const res = await fetch(`/api/i18n?lang=${lang}`);
      if (res.ok) compile((await res.json()).messages || {});
    } catch (e) { /* the page stays English */ }
  })();

  document.addEventListener("DOMContentLoaded", async () => {
    switcher();
    await ready;
    if (lang === "en") return;
    const title = unit(document.title);
    if (title) document.title = title;
    translateElement(document.body);
    observe();
    document.documentElement.dataset.i18n = lang; // the page is translated (tests wait for it)
  });

  return { lang, t, ready };
})();

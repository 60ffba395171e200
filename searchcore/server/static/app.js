// searchcore's search page: search as you type, and links that re-render the results in place.
// The page works without this script (the server renders every state); this only makes it quicker.
"use strict";
(() => {
  const form = document.getElementById("search");
  const input = document.getElementById("q");
  const completions = document.getElementById("completions");
  const TYPING_DELAY_MS = 200;
  let typingTimer = null;
  let pending = null; // the AbortController of the results request in flight

  // The URL of the search the form describes (empty fields left out, back to page 1).
  function formUrl() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") params.append(key, value.trim());
    }
    const query = params.toString();
    return new URL(query ? "/?" + query : "/", location.origin);
  }

  // Make the form say what a URL says (after a link, or the back button).
  function syncForm(url) {
    const params = url.searchParams;
    input.value = params.get("q") || "";
    for (const name of ["from", "to"]) form.elements[name].value = params.get(name) || "";
    for (const old of form.querySelectorAll('input[type="hidden"][name="filter"]')) old.remove();
    const button = form.querySelector("button");
    for (const value of params.getAll("filter")) {
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "filter";
      hidden.value = value;
      form.insertBefore(hidden, button);
    }
  }

  // Fetch the results for a URL and put them in place; history: "push", "replace" or "none".
  async function show(url, history) {
    if (pending) pending.abort();
    const controller = new AbortController();
    pending = controller;
    let html;
    try {
      const response = await fetch("/results" + url.search, { signal: controller.signal });
      if (!response.ok) return; // keep what is shown
      html = await response.text();
    } catch (error) {
      if (error.name === "AbortError") return; // a newer search replaced this one
      throw error;
    }
    if (controller !== pending) return;
    pending = null;
    document.getElementById("results").outerHTML = html;
    if (history === "push" && url.href !== location.href) window.history.pushState(null, "", url);
    if (history === "replace") window.history.replaceState(null, "", url);
    const q = url.searchParams.get("q");
    document.title = q ? q + " · searchcore" : "searchcore";
  }

  async function complete() {
    const text = input.value;
    if (!text.trim() || /\s$/.test(text)) {
      completions.replaceChildren();
      return;
    }
    const response = await fetch("/suggest?" + new URLSearchParams({ q: text, limit: "8" }));
    if (!response.ok || input.value !== text) return;
    const { suggestions } = await response.json();
    completions.replaceChildren(...suggestions.map((s) => Object.assign(document.createElement("option"), { value: s })));
  }

  input.addEventListener("input", () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      show(formUrl(), "replace");
      complete();
    }, TYPING_DELAY_MS);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typingTimer);
    show(formUrl(), "push");
  });

  for (const name of ["from", "to"]) {
    form.elements[name].addEventListener("change", () => show(formUrl(), "push"));
  }

  // Links inside the results (facets, pages, did-you-mean, more like this) re-render in place.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("#results a[href]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || url.pathname !== "/") return;
    event.preventDefault();
    syncForm(url);
    show(url, "push").then(() => {
      const results = document.getElementById("results");
      if (results) results.focus({ preventScroll: true });
    });
  });

  window.addEventListener("popstate", () => {
    const url = new URL(location.href);
    syncForm(url);
    show(url, "none");
  });

  // "/" jumps to the search box from anywhere but a text field.
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select");
    if (event.key === "/" && !typing) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
})();

// tamiz console: a little progressive enhancement; every page works without it.
//  - <form data-busy="Working…">: disables its submit button and says so while it runs.
//  - <form data-fragment="#target">: submits in the background and puts the HTML the server
//    answers into #target (the server sends only that part when asked with the
//    X-Console-Fragment header), then moves focus there so the result is announced.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const button = form.querySelector("button[type=submit]");
  const busy = form.dataset.busy;
  const setBusy = (on) => {
    if (!button || !busy) return;
    if (on && !button.dataset.label) button.dataset.label = button.textContent;
    button.disabled = on;
    button.textContent = on ? busy : button.dataset.label;
    form.setAttribute("aria-busy", on ? "true" : "false");
  };
  const selector = form.dataset.fragment;
  const target = selector ? document.querySelector(selector) : null;
  if (!target) {
    // an ordinary submission: the browser navigates; only show that it is working
    window.setTimeout(() => setBusy(true), 0);
    return;
  }
  event.preventDefault();
  setBusy(true);
  try {
    const response = await fetch(form.action, {
      method: (form.method || "post").toUpperCase(),
      body: new FormData(form),
      headers: { "X-Console-Fragment": "1" },
      credentials: "same-origin",
    });
    const type = response.headers.get("content-type") || "";
    if (type.includes("text/html") && response.ok) {
      target.innerHTML = await response.text();
    } else {
      target.textContent = `The request failed (HTTP ${response.status}); reload the page and retry.`;
    }
  } catch (error) {
    target.textContent = "The server could not be reached; retry.";
  } finally {
    setBusy(false);
    target.focus();
  }
});

// Going back to a page whose form was submitted: its button must not stay disabled.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[aria-busy=true] button[type=submit]").forEach((b) => {
    b.disabled = false;
    if (b.dataset.label) b.textContent = b.dataset.label;
    b.form.setAttribute("aria-busy", "false");
  });
});

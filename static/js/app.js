// llmadmin's only script: small fixes htmx can't express in attributes. Without it every
// page still works; it only keeps focus, busy state and inline checks honest after a swap.
"use strict";

let lastControl = null;

document.addEventListener("htmx:beforeRequest", (event) => {
  lastControl = document.activeElement;
  // Say at once what is being tried and for how long at most, in place of the old result,
  // and mark the region busy. data-busy-note is on the control (or form) that asks.
  const elt = event.detail.elt;
  const note = elt.dataset && elt.dataset.busyNote;
  if (!note) return;
  const busy = document.querySelector(elt.dataset.busyRegion);
  const line = busy && (busy.querySelector("[data-busy-line]") || busy);
  if (!line) return;
  busy.setAttribute("aria-busy", "true");
  const started = Date.now();
  const say = () => { line.textContent = `${note} (${Math.round((Date.now() - started) / 1000)} s so far)`; };
  say();
  elt.busyTimer = setInterval(say, 1000);
});

document.addEventListener("htmx:afterRequest", (event) => {
  const elt = event.detail.elt;
  if (elt.busyTimer) clearInterval(elt.busyTimer);
  document.querySelectorAll("[aria-busy=true]").forEach((region) => region.removeAttribute("aria-busy"));
  document.querySelectorAll("[data-busy-line]").forEach((line) => { line.textContent = ""; });
});

document.addEventListener("htmx:afterSettle", () => {
  // Once the swaps of this request (out-of-band ones included) have all settled.
  setTimeout(restoreFocus, 0);
});

function restoreFocus() {
  // A button disabled while it waits loses focus to <body>: give it back, or to its
  // successor with the same id when the swap replaced it.
  const active = document.activeElement;
  if (active && active !== document.body) return;
  let control = lastControl;
  if (control && !control.isConnected && control.id) control = document.getElementById(control.id);
  if (control && control.isConnected && control !== document.body) {
    control.focus({preventScroll: true});
  } else if (lastControl && lastControl !== document.body) {
    // The control is gone (a "Next" link on the last page): the result line takes focus.
    const fallback = document.querySelector("[data-focus-fallback]");
    if (fallback) fallback.focus({preventScroll: true});
  }
  lastControl = null;
}

document.addEventListener("htmx:afterSettle", (event) => {
  // An inline check (URI, JSON) replaces the field's old error from the last submit.
  const region = event.detail.target && document.getElementById(event.detail.target.id);
  const fieldId = region && region.dataset.checks;
  const input = fieldId && document.getElementById(fieldId);
  if (!input) return;
  const invalid = Boolean(region.querySelector(".error"));
  const field = input.closest(".field");
  if (field) {
    field.querySelectorAll("ul.errorlist").forEach((list) => list.remove());
    field.classList.toggle("invalid", invalid);
  }
  input.setAttribute("aria-invalid", String(invalid));
});

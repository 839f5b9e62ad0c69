// llmadmin's only script: small fixes htmx can't express in attributes. Without it every
// page still works; it only keeps focus, busy state and inline checks honest after a swap.
"use strict";

// What each request started from, keyed by its XMLHttpRequest: requests overlap (an inline
// check still answering while Test connection waits), so no state may be shared between them.
const started = new WeakMap();

document.addEventListener("htmx:beforeRequest", (event) => {
  const {elt, xhr} = event.detail;
  const request = {control: document.activeElement};
  started.set(xhr, request);
  // Say at once what is being tried and for how long at most, in place of the old result,
  // and mark the region busy. data-busy-note is on the control (or form) that asks.
  const note = elt.dataset && elt.dataset.busyNote;
  const region = note && document.querySelector(elt.dataset.busyRegion);
  const line = region && (region.querySelector("[data-busy-line]") || region);
  if (!line) return;
  region.setAttribute("aria-busy", "true");
  const since = Date.now();
  const say = () => { line.textContent = `${note} (${Math.round((Date.now() - since) / 1000)} s so far)`; };
  say();
  Object.assign(request, {region, line, timer: setInterval(say, 1000)});
});

document.addEventListener("htmx:afterRequest", (event) => {
  const request = started.get(event.detail.xhr);
  if (!request || !request.timer) return;
  clearInterval(request.timer);
  request.region.removeAttribute("aria-busy");
  // The answer replaced the region, or it did not (a network error): either way, no old note.
  if (request.line.isConnected) request.line.textContent = "";
});

document.addEventListener("htmx:afterSettle", (event) => {
  // Fired once per swapped element (out-of-band ones too): act on the request's first.
  const request = started.get(event.detail.xhr);
  if (!request || request.settled) return;
  request.settled = true;
  // After htmx has re-enabled the controls it disabled for the request.
  setTimeout(() => restoreFocus(request.control), 0);
});

function restoreFocus(control) {
  // A button disabled while it waits loses focus to <body>: give it back, or to its
  // successor with the same id when the swap replaced it. Focus the person moved is theirs.
  if (document.activeElement && document.activeElement !== document.body) return;
  if (!control || control === document.body) return;
  const successor = control.isConnected ? control : control.id && document.getElementById(control.id);
  if (successor) {
    successor.focus({preventScroll: true});
  } else {
    // The control is gone (a "Next" link on the last page): the result line takes focus.
    const fallback = document.querySelector("[data-focus-fallback]");
    if (fallback) fallback.focus({preventScroll: true});
  }
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

document.addEventListener("htmx:oobAfterSwap", (event) => {
  // A label line swapped out of band (the URI's, as the type changes) says whether its field
  // is required now; the field's state for assistive technology follows it.
  const line = event.target;
  const label = line.querySelector && line.querySelector("label[for]");
  const input = label && document.getElementById(label.htmlFor);
  if (input) input.setAttribute("aria-required", String(Boolean(line.querySelector(".required"))));
});

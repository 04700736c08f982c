// Behaviour shared by every page. Inline scripts are blocked by the
// Content-Security-Policy, so page scripts live in files like this one.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const current = window.location.pathname;
  for (const link of document.querySelectorAll(".mainnav a")) {
    if (current.startsWith(link.getAttribute("href"))) {
      link.setAttribute("aria-current", "page");
    }
  }
  // The language takes effect as soon as it is picked; the button is for
  // browsers without scripts.
  for (const select of document.querySelectorAll(".locale-select")) {
    const apply = select.form.querySelector(".locale-apply");
    if (apply) apply.hidden = true;
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});

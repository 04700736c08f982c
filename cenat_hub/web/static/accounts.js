// Behaviour of the Usuários page. Inline scripts are blocked by the
// Content-Security-Policy, so it lives in this file.
"use strict";

// htmx does not swap 4xx responses. For a rejected form the page returns the
// panel with its error message as HTML, so swap it in like a success.
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  const isHtml = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/html");
  if (xhr.status >= 400 && xhr.status < 500 && isHtml) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A session that ended (deactivated, password reset, expired) gets a 401 on
// the next htmx request; send the person to the login page.
document.addEventListener("htmx:responseError", (event) => {
  if (event.detail.xhr.status === 401) {
    const next = encodeURIComponent(window.location.pathname);
    window.location.assign(`/login?next=${next}`);
  }
});

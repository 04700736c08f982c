// Test page glue: reload after a file is sent, show the error otherwise.
"use strict";

document.addEventListener("cenat:media-sent", () => window.location.reload());
document.addEventListener("cenat:media-error", (event) => {
  document.getElementById("attach-error").textContent = event.detail;
});

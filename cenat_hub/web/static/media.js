// Image viewer for chat media: a click on [data-media-viewer] opens the full
// image in a modal <dialog>; Escape, the close button or a click closes it.
"use strict";

(() => {
  let dialog = null;

  // Texts in the user's language, put on the page by the server.
  function text(key) {
    const texts = JSON.parse(document.body.dataset.pageTexts || "{}");
    return texts[key] || key;
  }

  function viewer() {
    if (dialog) {
      return dialog;
    }
    dialog = document.createElement("dialog");
    dialog.className = "media-viewer";
    dialog.setAttribute("aria-label", text("image"));
    const close = document.createElement("button");
    close.type = "button";
    close.className = "media-viewer-close";
    close.setAttribute("aria-label", text("close"));
    close.textContent = "×";
    const image = document.createElement("img");
    image.alt = "";
    dialog.append(close, image);
    dialog.addEventListener("click", () => dialog.close());
    document.body.append(dialog);
    return dialog;
  }

  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("[data-media-viewer]");
    if (!trigger) {
      return;
    }
    event.preventDefault();
    const box = viewer();
    const image = box.querySelector("img");
    image.src = trigger.dataset.mediaViewer;
    const thumbnail = trigger.querySelector("img");
    image.alt = thumbnail ? thumbnail.alt : "";
    box.showModal();
  });
})();

// Send a file to a lead from the browser: POST /api/send/media with the
// session cookie and the page's CSRF token (document.body.dataset.csrfToken).
//
// Use it as a module:
//   import { sendMediaFile, bindDropAndPaste } from "/static/attach.js";
// or mark a form with data-attach-form; the form needs a file input named
// "file" and a field "wa_id", and may have "caption", "channel_id" and a
// "voice" checkbox. After a send the form dispatches "cenat:media-sent" with
// the stored message as event.detail, or "cenat:media-error" with the error
// message in Portuguese.

const ENDPOINT = "/api/send/media";

// Texts in the user's language, put on the page by the server.
function text(key) {
  const texts = JSON.parse(document.body.dataset.pageTexts || "{}");
  return texts[key] || key;
}

function newClientMessageId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sendMediaFile({ file, waId, channelId, caption, voice, clientMessageId }) {
  const form = new FormData();
  form.append("file", file, file.name || "arquivo");
  form.append("wa_id", waId);
  form.append("client_message_id", clientMessageId || newClientMessageId());
  if (channelId) {
    form.append("channel_id", String(channelId));
  }
  if (caption) {
    form.append("caption", caption);
  }
  if (voice) {
    form.append("voice", "true");
  }

  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": document.body.dataset.csrfToken || "" },
    });
  } catch (error) {
    throw new Error(text("networkError"));
  }

  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }

  if (!response.ok) {
    const detail = body && typeof body.detail === "string" ? body.detail : null;
    throw new Error(detail || text("fileSendFailed").replace("{status}", String(response.status)));
  }
  return body;
}

// Call onFile(file) for files dropped on `zone` or pasted while it has focus.
export function bindDropAndPaste(zone, onFile) {
  zone.addEventListener("dragover", (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
      event.preventDefault();
      zone.classList.add("attach-dragover");
    }
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("attach-dragover"));
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("attach-dragover");
    const files = event.dataTransfer ? Array.from(event.dataTransfer.files) : [];
    if (files.length) {
      event.preventDefault();
      files.forEach(onFile);
    }
  });
  zone.addEventListener("paste", (event) => {
    const files = event.clipboardData ? Array.from(event.clipboardData.files) : [];
    if (files.length) {
      event.preventDefault();
      files.forEach(onFile);
    }
  });
}

function bindForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get("file");
    if (!(file instanceof File) || file.size === 0) {
      form.dispatchEvent(new CustomEvent("cenat:media-error", {
        bubbles: true,
        detail: text("chooseFile"),
      }));
      return;
    }
    const button = form.querySelector("[type=submit]");
    if (button) {
      button.disabled = true;
    }
    try {
      const message = await sendMediaFile({
        file,
        waId: data.get("wa_id"),
        channelId: data.get("channel_id"),
        caption: data.get("caption"),
        voice: data.get("voice") === "on" || data.get("voice") === "true",
      });
      form.reset();
      form.dispatchEvent(new CustomEvent("cenat:media-sent", { bubbles: true, detail: message }));
    } catch (error) {
      form.dispatchEvent(new CustomEvent("cenat:media-error", { bubbles: true, detail: error.message }));
    } finally {
      if (button) {
        button.disabled = false;
      }
    }
  });
}

document.querySelectorAll("form[data-attach-form]").forEach(bindForm);

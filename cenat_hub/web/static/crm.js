// The pipeline board and the CRM panel: drag and drop, the "Mover" buttons,
// the lost-reason dialog, custom tag colours and 4xx fragments. Loaded on
// every page because the inbox embeds the CRM panel.
"use strict";

(() => {
  const HEX_COLOR = /^#[0-9a-f]{6}$/;

  function csrfToken() {
    return document.body.dataset.csrfToken || "";
  }

  // Texts in the user's language, put on the page by the server.
  function text(key) {
    const texts = JSON.parse(document.body.dataset.pageTexts || "{}");
    return texts[key] || key;
  }

  // Inline style attributes are blocked by the Content-Security-Policy, so
  // custom colours are set through the CSSOM, which the policy allows.
  function paintTags(root) {
    for (const tag of root.querySelectorAll("[data-custom-color]")) {
      const color = tag.dataset.customColor;
      if (!HEX_COLOR.test(color)) continue;
      tag.style.setProperty("--tag-bg", color);
      tag.style.setProperty("--tag-fg", textColorFor(color));
    }
  }

  // Black or white text, whichever contrasts more with the background
  // (relative luminance as defined by WCAG 2).
  function textColorFor(hex) {
    const channels = [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16) / 255);
    const linear = channels.map((value) =>
      value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4,
    );
    const luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    return luminance > 0.179 ? "#111827" : "#ffffff";
  }

  function showAlert(message) {
    const alert = document.getElementById("pipeline-alert");
    if (!alert) return;
    alert.textContent = message;
    alert.hidden = !message;
  }

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  function adjustCount(column, delta) {
    const count = column && column.querySelector("[data-count]");
    if (count) count.textContent = String(Math.max(0, Number(count.textContent) + delta));
  }

  function askLostReason() {
    const dialog = document.getElementById("lost-reason-dialog");
    if (!dialog) return Promise.resolve({});
    const form = dialog.querySelector("[data-lost-form]");
    const error = dialog.querySelector("[data-lost-error]");
    const cancel = dialog.querySelector("[data-lost-cancel]");
    form.reset();
    error.hidden = true;
    dialog.showModal();
    return new Promise((resolve) => {
      const finish = (value) => {
        form.removeEventListener("submit", onSubmit);
        cancel.removeEventListener("click", onCancel);
        dialog.removeEventListener("cancel", onCancel);
        dialog.close();
        resolve(value);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const reasonId = String(data.get("lost_reason_id") || "");
        const text = String(data.get("lost_reason_text") || "").trim();
        if (!reasonId && !text) {
          error.hidden = false;
          return;
        }
        finish({ lost_reason_id: reasonId, lost_reason_text: text });
      };
      const onCancel = (event) => {
        event.preventDefault();
        finish(null);
      };
      form.addEventListener("submit", onSubmit);
      cancel.addEventListener("click", onCancel);
      dialog.addEventListener("cancel", onCancel);
    });
  }

  function resetSelect(card) {
    const select = card.querySelector("[data-move-select]");
    if (select) select.value = card.dataset.status;
  }

  async function moveCard(card, status) {
    if (!card || card.dataset.status === status) return;
    const reason = status === "perdido" ? await askLostReason() : {};
    if (reason === null) {
      resetSelect(card);
      return;
    }
    const body = new FormData();
    body.set("lead_status", status);
    for (const [name, value] of Object.entries(reason)) body.set(name, value);

    card.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(`/funil/cards/${encodeURIComponent(card.dataset.waId)}/status`, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" },
      });
    } catch {
      card.removeAttribute("aria-busy");
      showAlert(text("networkError"));
      resetSelect(card);
      return;
    }
    const html = await response.text();
    card.removeAttribute("aria-busy");
    if (!response.ok) {
      showAlert(fragment(html).textContent.trim() || text("moveFailed"));
      resetSelect(card);
      return;
    }

    showAlert("");
    const updated = placeCard(fragment(html).firstElementChild, card.dataset.waId);
    if (updated) {
      const select = updated.querySelector("[data-move-select]");
      if (select && document.activeElement === document.body) select.focus();
    }
  }

  function cardFor(waId) {
    return document.querySelector(`.lead-card[data-wa-id="${CSS.escape(waId)}"]`);
  }

  function columnFor(status) {
    return document.querySelector(`.pipeline-column[data-status="${CSS.escape(status)}"]`);
  }

  // Place a freshly rendered card in the column of its status: in place when
  // it stays in its column, at the top of the new column when it moved. The
  // card is looked up again because the stream may have placed it meanwhile.
  function placeCard(updated, waId) {
    const existing = cardFor(waId);
    const from = existing && existing.closest(".pipeline-column");
    const to = updated ? columnFor(updated.dataset.status) : null;
    if (existing && from === to) {
      existing.replaceWith(updated);
    } else {
      if (existing) {
        existing.remove();
        adjustCount(from, -1);
      }
      if (!to) return null;
      to.querySelector("[data-drop-zone]").prepend(updated);
      adjustCount(to, 1);
    }
    paintTags(updated);
    if (window.htmx) window.htmx.process(updated);
    return updated;
  }

  function removeCard(waId) {
    const existing = cardFor(waId);
    if (!existing) return;
    adjustCount(existing.closest(".pipeline-column"), -1);
    existing.remove();
  }

  // ---- Live board: what other people change shows without a reload --------

  const REFRESH_DELAY_MS = 120;
  const pendingCards = new Map();

  // Fetch the card under the board's current filters. The server returns
  // 204 when the filters or the user's channels exclude the lead, so the
  // rules live in one place.
  async function refreshCard(waId) {
    const board = document.getElementById("pipeline-board");
    if (!board) return;
    const query = board.dataset.filterQuery || "";
    let response;
    try {
      response = await fetch(
        `/funil/cards/${encodeURIComponent(waId)}${query ? `?${query}` : ""}`,
        { credentials: "same-origin", headers: { "HX-Request": "true" } },
      );
    } catch {
      return;
    }
    // The filters changed while the card was on its way: the new board is right.
    if (document.getElementById("pipeline-board") !== board) return;
    if (board.dataset.filterQuery !== query) return;
    const card = cardFor(waId);
    if (card && card.getAttribute("aria-busy") === "true") return;
    if (response.status === 204 || response.status === 404) {
      removeCard(waId);
      return;
    }
    if (!response.ok) return;
    const updated = fragment(await response.text()).firstElementChild;
    if (updated && updated.classList.contains("lead-card")) placeCard(updated, waId);
  }

  function refreshCardSoon(waId) {
    if (!waId) return;
    clearTimeout(pendingCards.get(waId));
    pendingCards.set(
      waId,
      setTimeout(() => {
        pendingCards.delete(waId);
        refreshCard(waId);
      }, REFRESH_DELAY_MS),
    );
  }

  function reloadBoard() {
    document.body.dispatchEvent(new Event("contacts-imported"));
  }

  function connectBoard() {
    const board = document.getElementById("pipeline-board");
    if (!board || !board.dataset.streamUrl || !window.EventSource) return;
    const source = new EventSource(new URL(board.dataset.streamUrl, window.location.origin));
    const onLead = (event) => {
      const data = JSON.parse(event.data || "{}");
      refreshCardSoon(data.wa_id);
    };
    // "contact": a status, tag or note changed; "conversation": a lead wrote
    // or was written to, which may bring a new lead onto the board.
    source.addEventListener("contact", onLead);
    source.addEventListener("conversation", onLead);
    source.addEventListener("resync", reloadBoard);
    source.onopen = () => {
      document.body.dataset.boardStream = "open";
    };
    source.onerror = () => {
      document.body.dataset.boardStream = "reconnecting";
    };
    window.addEventListener("pagehide", () => source.close());
  }

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".lead-card");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.waId);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("is-dragging");
  });

  document.addEventListener("dragend", (event) => {
    const card = event.target.closest && event.target.closest(".lead-card");
    if (card) card.classList.remove("is-dragging");
    for (const column of document.querySelectorAll(".is-drop-target")) {
      column.classList.remove("is-drop-target");
    }
  });

  document.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".pipeline-column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-drop-target");
  });

  document.addEventListener("dragleave", (event) => {
    const column = event.target.closest && event.target.closest(".pipeline-column");
    if (column && !column.contains(event.relatedTarget)) {
      column.classList.remove("is-drop-target");
    }
  });

  document.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".pipeline-column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("is-drop-target");
    const waId = event.dataTransfer.getData("text/plain");
    if (waId) moveCard(cardFor(waId), column.dataset.status);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-move-button]");
    if (!button) return;
    const card = button.closest(".lead-card");
    moveCard(card, card.querySelector("[data-move-select]").value);
  });

  // htmx leaves the page alone on 4xx answers; CRM fragments carry a
  // Portuguese message for the person, so they are swapped in anyway.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const { xhr, target } = event.detail;
    const isHtml = (xhr.getResponseHeader("content-type") || "").startsWith("text/html");
    if (xhr.status >= 400 && xhr.status < 500 && isHtml && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", () => {
    const board = document.getElementById("pipeline-board");
    const link = document.querySelector("[data-export-link]");
    if (board && link) {
      const query = board.dataset.filterQuery;
      link.href = "/api/contacts/export.csv" + (query ? `?${query}` : "");
    }
  });

  document.addEventListener("htmx:load", (event) => paintTags(event.target));
  document.addEventListener("DOMContentLoaded", () => {
    paintTags(document);
    connectBoard();
  });
})();

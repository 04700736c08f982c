// The Conversas page: live updates, the composer, replies, the 24-hour
// window countdown and notifications. Fragments come from the server already
// escaped; text this script shows itself goes through textContent only.
"use strict";

(() => {
  const root = document.getElementById("inbox");
  if (!root) return;
  const texts = JSON.parse(root.dataset.texts || "{}");
  const csrfToken = document.body.dataset.csrfToken || "";
  const NEAR_BOTTOM_PX = 120;
  const SEND_RETRIES = 3;

  // ---- Small helpers -----------------------------------------------------

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function openChat() {
    return document.getElementById("chat-pane");
  }

  function openConversationId() {
    const pane = openChat();
    return pane ? pane.dataset.conversationId : null;
  }

  function chatVisible() {
    const pane = openChat();
    return Boolean(pane && pane.offsetParent !== null && !document.hidden);
  }

  function messagesBox() {
    return document.getElementById("messages");
  }

  function isNearBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    const box = messagesBox();
    if (box) box.scrollTop = box.scrollHeight;
  }

  function activate(element) {
    if (window.htmx) window.htmx.process(element);
  }

  // ---- Day separators ----------------------------------------------------

  function fixDaySeparators(box) {
    for (const old of box.querySelectorAll(".day-separator")) old.remove();
    let previousDay = null;
    for (const message of box.querySelectorAll(".msg")) {
      const day = message.dataset.day;
      if (day && day !== previousDay) {
        const separator = document.createElement("div");
        separator.className = "day-separator";
        const label = document.createElement("span");
        label.textContent = message.dataset.dayLabel || day;
        separator.appendChild(label);
        message.before(separator);
        previousDay = day;
      }
    }
  }

  // ---- Messages in the open chat -----------------------------------------

  // The server's order of outbound statuses: a fragment rendered before a
  // later status arrived must not move a bubble's ticks back.
  const STATUS_RANK = { pending: 0, sent: 1, failed: 2, delivered: 3, read: 4, played: 5 };

  function isOlderState(existing, element) {
    const before = STATUS_RANK[existing.dataset.status];
    const after = STATUS_RANK[element.dataset.status];
    return before !== undefined && after !== undefined && after < before;
  }

  function olderThanLoadedPage(box, element) {
    if (!box.querySelector(".older")) return false;
    const first = box.querySelector(".msg:not(.local)");
    return Boolean(first && (element.dataset.sort || "") < (first.dataset.sort || ""));
  }

  function placeMessage(box, element) {
    const sort = element.dataset.sort || "";
    const messages = box.querySelectorAll(".msg:not(.local)");
    for (let index = messages.length - 1; index >= 0; index -= 1) {
      if ((messages[index].dataset.sort || "") <= sort) {
        messages[index].after(element);
        return;
      }
    }
    const older = box.querySelector(".older, .history-start");
    if (older) older.after(element);
    else box.prepend(element);
  }

  function upsertMessage(data) {
    if (String(data.conversation_id) !== openConversationId()) return false;
    const box = messagesBox();
    if (!box) return false;
    const element = fragment(data.html);
    if (!element) return false;
    const wasNearBottom = isNearBottom(box);
    const existing =
      document.getElementById(element.id) ||
      (data.client_message_id &&
        box.querySelector(`.msg.local[data-client-id="${CSS.escape(data.client_message_id)}"]`));
    if (existing && isOlderState(existing, element)) {
      return false;
    }
    if (!existing && olderThanLoadedPage(box, element)) {
      // It will arrive with the older page when the agent scrolls up.
      return false;
    }
    if (existing) {
      existing.replaceWith(element);
    } else {
      placeMessage(box, element);
    }
    activate(element);
    fixDaySeparators(box);
    if (wasNearBottom || data.direction === "outbound") scrollToBottom();
    return !existing;
  }

  // ---- Conversation list ---------------------------------------------------

  function listSearched() {
    const search = document.getElementById("search-input");
    return Boolean(search && search.value.trim());
  }

  function matchesStatus(element) {
    const status = document.getElementById("status-filter");
    return !status || !status.value || element.dataset.leadStatus === status.value;
  }

  // The status and assignment filters are applied here as well as on the
  // server, so a conversation that changes joins or leaves the list.
  function matchesAssignment(element) {
    const filter = document.getElementById("assigned-filter");
    const wanted = filter ? filter.value : "all";
    const assignee = element.dataset.assigneeId || "";
    if (wanted === "mine") return assignee !== "" && assignee === root.dataset.userId;
    if (wanted === "unassigned") return assignee === "";
    return true;
  }

  function upsertRow(data) {
    const list = document.getElementById("conversation-list");
    if (!list || String(data.channel_id) !== root.dataset.channelId) return;
    const element = fragment(data.html);
    if (!element) return;
    const existing = document.getElementById(element.id);
    if (!matchesAssignment(element) || !matchesStatus(element)) {
      if (existing) existing.remove();
      return;
    }
    // Only the server can tell whether a new conversation matches a search.
    if (!existing && listSearched()) return;
    if (String(data.conversation_id) === openConversationId()) {
      element.classList.add("active");
      updateWindow(data.window_closes_at);
    }
    if (existing) existing.remove();
    const empty = list.querySelector(".list-empty");
    if (empty) empty.remove();
    const sort = element.dataset.sort || "";
    for (const row of list.querySelectorAll(".conv-row")) {
      if ((row.dataset.sort || "") < sort) {
        row.before(element);
        activate(element);
        return;
      }
    }
    const more = list.querySelector(".list-more");
    if (more) {
      // Rows past the loaded pages arrive with the next page.
      if (existing) more.before(element);
      else return;
    } else {
      list.appendChild(element);
    }
    activate(element);
  }

  function markActiveRow() {
    const current = openConversationId();
    for (const row of document.querySelectorAll(".conv-row")) {
      row.classList.toggle("active", row.dataset.conversationId === current);
    }
  }

  function reloadList() {
    const form = document.getElementById("list-tools");
    if (form && window.htmx) window.htmx.trigger(form, "submit");
  }

  function reloadChat() {
    const id = openConversationId();
    if (id && window.htmx) {
      window.htmx.ajax("GET", `/conversas/${id}`, { target: "#chat", swap: "innerHTML" });
    }
  }

  // ---- The CRM panel of the open conversation -------------------------------

  const PANEL_REFRESH_MS = 150;
  let panelTimer = null;
  let panelLoads = 0;

  function panelBody() {
    return document.getElementById("crm-side-body");
  }

  function panelUrl(pane) {
    const url = new URL(`/crm/panel/${encodeURIComponent(pane.dataset.waId)}`, window.location.origin);
    url.searchParams.set("channel_id", pane.dataset.channelId);
    return url;
  }

  // Notes are saved as the agent types. A refresh must not replace the text
  // under their cursor, so a focused notes box keeps its text.
  function keepNotes(body) {
    const notes = body.querySelector("textarea[name=notes]");
    if (!notes || document.activeElement !== notes) return null;
    return { id: notes.id, value: notes.value, start: notes.selectionStart, end: notes.selectionEnd };
  }

  // A refresh must not close a form the agent opened (a new tag, the lost
  // reason) or clear what they typed in it, so open <details> keep both.
  function keepOpenForms(body) {
    const forms = [];
    for (const details of body.querySelectorAll("details[open]")) {
      const fields = [];
      for (const field of details.querySelectorAll("input, select, textarea")) {
        if (field.type === "hidden" || !field.name) continue;
        fields.push({ name: field.name, value: field.value, checked: field.checked, type: field.type });
      }
      forms.push({ key: details.className, fields });
    }
    const active = document.activeElement;
    const focused =
      active && body.contains(active) && active.name && active.closest("details[open]")
        ? { key: active.closest("details").className, name: active.name, value: active.value }
        : null;
    return { forms, focused };
  }

  function restoreOpenForms(body, kept) {
    const byKey = (key) => [...body.querySelectorAll("details")].find((item) => item.className === key);
    for (const form of kept.forms) {
      const details = byKey(form.key);
      if (!details) continue;
      details.open = true;
      for (const saved of form.fields) {
        for (const field of details.querySelectorAll(`[name="${CSS.escape(saved.name)}"]`)) {
          if (field.type === "radio" || field.type === "checkbox") {
            if (field.value === saved.value) field.checked = saved.checked;
          } else {
            field.value = saved.value;
          }
        }
      }
    }
    if (!kept.focused) return;
    const details = byKey(kept.focused.key);
    const fields = details ? details.querySelectorAll(`[name="${CSS.escape(kept.focused.name)}"]`) : [];
    const target = [...fields].find((field) => field.type !== "radio" || field.value === kept.focused.value);
    if (target) target.focus();
  }

  function restoreNotes(body, kept) {
    if (!kept) return;
    const notes = document.getElementById(kept.id);
    if (!notes || !body.contains(notes)) return;
    const unsaved = notes.value !== kept.value;
    notes.value = kept.value;
    notes.focus();
    notes.setSelectionRange(kept.start, kept.end);
    if (unsaved) notes.dispatchEvent(new Event("input", { bubbles: true }));
  }

  async function loadPanel() {
    const body = panelBody();
    const pane = openChat();
    if (!body) return;
    if (!pane || !pane.dataset.waId) {
      body.replaceChildren();
      return;
    }
    const load = ++panelLoads;
    let html;
    try {
      const response = await fetch(panelUrl(pane), {
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      });
      if (!response.ok) return;
      html = await response.text();
    } catch (_error) {
      return;
    }
    // A later load (another conversation opened meanwhile) wins.
    if (load !== panelLoads || openChat() !== pane) return;
    const kept = keepNotes(body);
    const openForms = keepOpenForms(body);
    if (window.htmx) {
      window.htmx.swap(body, html, { swapStyle: "innerHTML" });
    } else {
      body.innerHTML = html;
    }
    restoreOpenForms(body, openForms);
    restoreNotes(body, kept);
  }

  function refreshPanelSoon() {
    clearTimeout(panelTimer);
    panelTimer = setTimeout(loadPanel, PANEL_REFRESH_MS);
  }

  function showLeadStatus(data) {
    const badge = document.querySelector("#chat-pane .chat-sub .lead-status");
    if (!badge || !data.lead_status) return;
    badge.className = `lead-status status-${data.lead_status}`;
    badge.textContent = data.lead_status_label || data.lead_status;
  }

  function setPanelOpen(open) {
    document.body.classList.toggle("crm-open", open);
    const toggle = document.getElementById("crm-toggle");
    if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  // ---- Marking as read -----------------------------------------------------

  function markRead(conversationId) {
    fetch(`/conversas/${conversationId}/lida`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken },
      credentials: "same-origin",
    }).catch(() => {});
  }

  // ---- Notifications -------------------------------------------------------

  const NOTIFY_KEY = "cenat.notifications";
  let audioContext = null;

  function notificationsOn() {
    return localStorage.getItem(NOTIFY_KEY) === "on";
  }

  function showNotifyState() {
    const button = document.getElementById("notify-toggle");
    if (!button) return;
    button.textContent = notificationsOn() ? texts.notificationsOn : texts.notificationsOff;
  }

  function beep() {
    try {
      audioContext = audioContext || new AudioContext();
      const oscillator = audioContext.createOscillator();
      const gain = audioContext.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audioContext.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audioContext.currentTime + 0.35);
      oscillator.connect(gain).connect(audioContext.destination);
      oscillator.start();
      oscillator.stop(audioContext.currentTime + 0.35);
    } catch (_error) {
      // Sound is a courtesy; a browser that refuses it still shows the message.
    }
  }

  function notify(data) {
    if (!data.notify || !notificationsOn() || !document.hidden) return;
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      const note = new Notification(data.notify.title || texts.newMessage, {
        body: data.notify.body || "",
        tag: `conversation-${data.conversation_id}`,
      });
      note.onclick = () => window.focus();
    }
  }

  async function toggleNotifications() {
    if (notificationsOn()) {
      localStorage.setItem(NOTIFY_KEY, "off");
    } else {
      if ("Notification" in window && Notification.permission === "default") {
        await Notification.requestPermission();
      }
      if ("Notification" in window && Notification.permission === "denied") {
        setStreamState(texts.notificationsBlocked);
      }
      localStorage.setItem(NOTIFY_KEY, "on");
      audioContext = audioContext || new AudioContext();
    }
    showNotifyState();
  }

  // ---- The event stream ----------------------------------------------------

  // The page was rendered at this moment; the first connection replays what
  // changed since, so nothing falls between the page and its stream.
  const live = { source: null, lastEventId: root.dataset.lastEventId || null };

  function setStreamState(text) {
    const state = document.getElementById("stream-state");
    if (state) state.textContent = text;
  }

  function remember(event) {
    if (event.lastEventId) live.lastEventId = event.lastEventId;
  }

  // Messages of the last minute, applied again when a chat pane arrives, so
  // one that came while the pane was being fetched is not lost.
  const RECENT_MS = 60000;
  const recent = [];

  function keepRecent(data) {
    const now = Date.now();
    recent.push({ at: now, data });
    while (recent.length && (recent[0].at < now - RECENT_MS || recent.length > 500)) {
      recent.shift();
    }
  }

  function applyRecent() {
    const current = openConversationId();
    for (const item of recent) {
      if (String(item.data.conversation_id) === current) upsertMessage(item.data);
    }
  }

  function onMessage(event) {
    remember(event);
    const data = JSON.parse(event.data);
    keepRecent(data);
    const isNew = upsertMessage(data);
    if (data.notify) {
      const looking = String(data.conversation_id) === openConversationId() && chatVisible();
      if (looking && isNew) markRead(data.conversation_id);
      if (isNew || !looking) notify(data);
    }
  }

  function onConversation(event) {
    remember(event);
    const data = JSON.parse(event.data);
    upsertRow(data);
    refreshAssignment(data);
  }

  // The owner shown in the chat header follows changes made in other browsers.
  function refreshAssignment(data) {
    const shown = document.getElementById("assignment");
    if (!shown || !window.htmx || String(data.conversation_id) !== openConversationId()) {
      return;
    }
    if ((shown.dataset.assigneeId || "") !== String(data.assignee_id ?? "")) {
      window.htmx.trigger(document.body, "assignment-changed");
    }
  }

  function onContact(event) {
    remember(event);
    const data = JSON.parse(event.data);
    const pane = openChat();
    if (!pane || pane.dataset.waId !== data.wa_id) return;
    showLeadStatus(data);
    refreshPanelSoon();
  }

  function onResync(event) {
    remember(event);
    const data = JSON.parse(event.data);
    if (data.reload) reloadChat();
    reloadList();
    refreshPanelSoon();
  }

  function connect() {
    disconnect();
    const url = new URL(root.dataset.streamUrl, window.location.origin);
    if (live.lastEventId) url.searchParams.set("last_event_id", live.lastEventId);
    const source = new EventSource(url);
    live.source = source;
    source.addEventListener("hello", remember);
    source.addEventListener("ready", remember);
    source.addEventListener("caught-up", remember);
    source.addEventListener("message", onMessage);
    source.addEventListener("conversation", onConversation);
    source.addEventListener("contact", onContact);
    source.addEventListener("resync", onResync);
    source.onopen = () => {
      root.dataset.stream = "open";
      setStreamState(texts.connected);
    };
    source.onerror = () => {
      root.dataset.stream = "reconnecting";
      setStreamState(texts.reconnecting);
      // EventSource reconnects by itself with Last-Event-ID unless the server
      // refused the stream, which happens when the session has ended.
      if (source.readyState === EventSource.CLOSED) setTimeout(reconnectIfLoggedIn, 3000);
    };
  }

  async function reconnectIfLoggedIn() {
    if (live.source && live.source.readyState !== EventSource.CLOSED) return;
    try {
      const response = await fetch("/api/auth/me", { credentials: "same-origin" });
      if (response.status === 401) {
        const next = window.location.pathname + window.location.search;
        window.location.assign(`/login?next=${encodeURIComponent(next)}`);
        return;
      }
    } catch (_error) {
      // Offline: try again later.
    }
    connect();
  }

  function disconnect() {
    if (live.source) live.source.close();
    live.source = null;
    root.dataset.stream = "closed";
  }

  window.addEventListener("online", connect);
  window.addEventListener("pagehide", disconnect);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) connect();
  });

  // ---- The 24-hour window --------------------------------------------------

  function updateWindow(closesAt) {
    const composer = document.getElementById("composer");
    if (!composer || closesAt === undefined) return;
    composer.dataset.windowClosesAt = closesAt || "";
    tickWindow();
  }

  function countdownText(milliseconds) {
    const minutes = Math.max(1, Math.floor(milliseconds / 60000));
    const hours = Math.floor(minutes / 60);
    const template = hours > 0 ? texts.countdown : texts.countdownMinutes;
    return template.replace("{hours}", String(hours)).replace("{minutes}", String(minutes % 60));
  }

  function tickWindow() {
    const composer = document.getElementById("composer");
    if (!composer) return;
    const closesAt = Date.parse(composer.dataset.windowClosesAt || "");
    const left = Number.isNaN(closesAt) ? 0 : closesAt - Date.now();
    const open = left > 0;
    const form = document.getElementById("composer-form");
    const closed = document.getElementById("window-closed");
    const state = document.getElementById("window-state");
    if (form) form.hidden = !open;
    if (closed) closed.hidden = open;
    if (state) {
      state.hidden = !open;
      state.textContent = open
        ? state.dataset.templateOpen.replace("{time}", countdownText(left))
        : "";
      state.classList.toggle("closing", open && left < 3600 * 1000);
    }
  }

  setInterval(tickWindow, 15000);

  // ---- Replies ---------------------------------------------------------------

  let replyTo = null;

  function startReply(button) {
    const message = button.closest(".msg");
    const preview = document.getElementById("reply-preview");
    const text = document.getElementById("reply-text");
    if (!message || !preview || !text) return;
    replyTo = button.dataset.replyTo;
    const source = message.querySelector(".msg-text, .answer-title, .msg-note");
    const summary = message.dataset.summary || (source ? source.textContent : "");
    text.textContent = summary.trim().slice(0, 160);
    preview.hidden = false;
    const input = document.getElementById("composer-text");
    if (input) input.focus();
  }

  function cancelReply() {
    replyTo = null;
    const preview = document.getElementById("reply-preview");
    if (preview) preview.hidden = true;
  }

  // ---- Sending ---------------------------------------------------------------

  function pendingBubble(text, clientId, fileName) {
    const article = document.createElement("article");
    article.className = "msg outbound local type-text";
    article.dataset.clientId = clientId;
    article.dataset.status = "pending";
    // The same day key and label as the server's bubbles of today.
    article.dataset.day = new Date().toLocaleDateString("sv-SE", {
      timeZone: root.dataset.zone || undefined,
    });
    article.dataset.dayLabel = texts.today;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (fileName) {
      const file = document.createElement("p");
      file.className = "local-file";
      file.textContent = `📎 ${fileName}`;
      bubble.appendChild(file);
    }
    if (text) {
      const body = document.createElement("p");
      body.className = "msg-text";
      body.textContent = text;
      bubble.appendChild(body);
    }
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    const ticks = document.createElement("span");
    ticks.className = "ticks status-pending";
    ticks.title = texts.sending;
    ticks.setAttribute("aria-label", texts.sending);
    ticks.textContent = "🕓";
    meta.appendChild(ticks);
    bubble.appendChild(meta);
    article.appendChild(bubble);
    return article;
  }

  function markLocalFailed(bubble, reason) {
    bubble.dataset.status = "failed";
    bubble.classList.add("failed");
    const ticks = bubble.querySelector(".ticks");
    if (ticks) {
      ticks.className = "ticks status-failed";
      ticks.textContent = "!";
    }
    let error = bubble.querySelector(".msg-error");
    if (!error) {
      error = document.createElement("p");
      error.className = "msg-error";
      bubble.querySelector(".bubble").appendChild(error);
    }
    error.textContent = `${texts.notSent} ${reason}`;
  }

  async function postText(payload) {
    let lastError = null;
    for (let attempt = 0; attempt < SEND_RETRIES; attempt += 1) {
      try {
        const response = await fetch("/api/send/text", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
          body: JSON.stringify(payload),
        });
        if (response.status >= 500 && response.status !== 502) {
          lastError = texts.genericError;
        } else {
          return response;
        }
      } catch (_error) {
        lastError = texts.networkError;
      }
      // The same client_message_id makes a retry safe: the server sends once.
      await new Promise((resolve) => setTimeout(resolve, 800 * (attempt + 1)));
    }
    throw new Error(lastError || texts.genericError);
  }

  async function replaceWithServerBubble(conversationId, messageId, bubble) {
    const response = await fetch(`/conversas/${conversationId}/mensagens/${messageId}`, {
      credentials: "same-origin",
    });
    if (!response.ok) return;
    upsertMessage({
      conversation_id: conversationId,
      html: await response.text(),
      client_message_id: bubble.dataset.clientId,
      direction: "outbound",
    });
  }

  async function send(form) {
    if (attachment) {
      await sendFile(form);
      return;
    }
    const input = document.getElementById("composer-text");
    const box = messagesBox();
    const text = input.value;
    if (!text.trim() || !box) return;
    const conversationId = openConversationId();
    const clientId = crypto.randomUUID();
    const bubble = pendingBubble(text, clientId);
    box.appendChild(bubble);
    fixDaySeparators(box);
    scrollToBottom();
    const payload = {
      wa_id: form.dataset.waId,
      channel_id: Number(form.dataset.channelId),
      text,
      client_message_id: clientId,
    };
    if (replyTo) payload.reply_to_wa_message_id = replyTo;
    input.value = "";
    resizeInput(input);
    cancelReply();
    try {
      const response = await postText(payload);
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        await replaceWithServerBubble(conversationId, body.id, bubble);
      } else if (body.code === "window_closed") {
        markLocalFailed(bubble, texts.windowClosedError);
        updateWindow("");
      } else {
        markLocalFailed(bubble, texts.genericError);
      }
    } catch (error) {
      markLocalFailed(bubble, error.message);
    }
  }

  // ---- Files -----------------------------------------------------------------

  // The file that was chosen, dropped or pasted. The next send takes it, with
  // the typed text as its caption.
  let attachment = null;
  let attachModule = null;

  function loadAttach() {
    attachModule = attachModule || import("/static/attach.js");
    return attachModule;
  }

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  function showAttachment() {
    const box = document.getElementById("composer-attachment");
    if (!box) return;
    box.hidden = !attachment;
    document.getElementById("composer-attachment-name").textContent = attachment
      ? attachment.name
      : "";
    document.getElementById("composer-attachment-size").textContent = attachment
      ? formatSize(attachment.size)
      : "";
  }

  function stageFile(file) {
    const form = document.getElementById("composer-form");
    if (!form || form.hidden || !file) return;
    attachment = file;
    showAttachment();
    const input = document.getElementById("composer-text");
    if (input) input.focus();
  }

  function clearAttachment() {
    attachment = null;
    const input = document.getElementById("composer-file");
    if (input) input.value = "";
    showAttachment();
  }

  async function sendFile(form) {
    const input = document.getElementById("composer-text");
    const box = messagesBox();
    if (!box || !input) return;
    const file = attachment;
    const caption = input.value.trim() ? input.value : "";
    const conversationId = openConversationId();
    const clientId = crypto.randomUUID();
    const bubble = pendingBubble(caption, clientId, file.name);
    box.appendChild(bubble);
    fixDaySeparators(box);
    scrollToBottom();
    input.value = "";
    resizeInput(input);
    cancelReply();
    clearAttachment();
    try {
      const { sendMediaFile } = await loadAttach();
      const message = await sendMediaFile({
        file,
        waId: form.dataset.waId,
        channelId: form.dataset.channelId,
        caption,
        clientMessageId: clientId,
      });
      await replaceWithServerBubble(conversationId, message.id, bubble);
    } catch (error) {
      markLocalFailed(bubble, error.message || texts.genericError);
    }
  }

  function resizeInput(input) {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  // ---- Wiring ----------------------------------------------------------------

  document.addEventListener("submit", (event) => {
    if (event.target.id === "composer-form") {
      event.preventDefault();
      send(event.target);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.target.id !== "composer-text") return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  document.addEventListener("input", (event) => {
    if (event.target.id === "composer-text") resizeInput(event.target);
  });

  document.addEventListener("change", (event) => {
    if (event.target.id === "composer-file" && event.target.files.length) {
      stageFile(event.target.files[0]);
    }
  });

  document.addEventListener("click", (event) => {
    const reply = event.target.closest(".reply-button");
    if (reply) {
      startReply(reply);
      return;
    }
    if (event.target.closest("#cancel-reply")) {
      cancelReply();
      return;
    }
    if (event.target.closest("#attach-button")) {
      const input = document.getElementById("composer-file");
      if (input) input.click();
      return;
    }
    if (event.target.closest("#composer-attachment-remove")) {
      clearAttachment();
      return;
    }
    const quote = event.target.closest(".quote[data-quote-target]");
    if (quote) {
      event.preventDefault();
      const target = document.getElementById(quote.dataset.quoteTarget);
      if (target) {
        target.scrollIntoView({ block: "center", behavior: "smooth" });
        target.classList.add("flash");
        setTimeout(() => target.classList.remove("flash"), 1500);
      }
      return;
    }
    if (event.target.closest("#notify-toggle")) {
      toggleNotifications();
      return;
    }
    if (event.target.closest("#crm-toggle")) {
      setPanelOpen(!document.body.classList.contains("crm-open"));
      return;
    }
    if (event.target.closest("#crm-close")) {
      setPanelOpen(false);
      return;
    }
    const back = event.target.closest(".back-link");
    if (back && window.matchMedia("(max-width: 768px)").matches) {
      event.preventDefault();
      document.body.classList.remove("chat-open");
      setPanelOpen(false);
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target.id === "channel-select") {
      const url = new URL("/conversas", window.location.origin);
      url.searchParams.set("channel_id", event.target.value);
      const assigned = document.getElementById("assigned-filter");
      if (assigned && assigned.value !== "all") url.searchParams.set("assigned", assigned.value);
      window.location.assign(url);
    }
  });

  // The list's filters go into the address, so a reload or a shared link
  // shows the same list.
  function reflectFilters(form) {
    const url = new URL(window.location.href);
    const fields = { q: "search-input", status: "status-filter", assigned: "assigned-filter" };
    for (const [name, id] of Object.entries(fields)) {
      const field = form.querySelector(`#${id}`);
      const value = field ? field.value.trim() : "";
      if (value && !(name === "assigned" && value === "all")) url.searchParams.set(name, value);
      else url.searchParams.delete(name);
    }
    window.history.replaceState(window.history.state, "", url);
  }

  document.body.addEventListener("htmx:pushedIntoHistory", () => {
    const form = document.getElementById("list-tools");
    if (form) reflectFilters(form);
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (form && form.id === "list-tools" && event.detail.successful) reflectFilters(form);
  });

  // A conversation opened through htmx: show it and scroll to its end.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "chat") {
      document.body.classList.add("chat-open");
      cancelReply();
      clearAttachment();
      applyRecent();
      const box = messagesBox();
      if (box) fixDaySeparators(box);
      scrollToBottom();
      markActiveRow();
      tickWindow();
      const input = document.getElementById("composer-text");
      if (input && window.matchMedia("(min-width: 769px)").matches) input.focus();
      setPanelOpen(false);
      loadPanel();
    }
  });

  // Older messages go above: keep what the agent was reading in place.
  let heightBefore = null;
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    // A rejected take or release comes back as 403 or 409 with the owner as it is.
    const status = event.detail.xhr.status;
    if (event.detail.target.id === "assignment" && (status === 403 || status === 409)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    if (event.detail.target.classList.contains("older")) {
      heightBefore = messagesBox().scrollHeight;
    }
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    const box = messagesBox();
    if (box && heightBefore !== null) {
      fixDaySeparators(box);
      box.scrollTop += box.scrollHeight - heightBefore;
      heightBefore = null;
    }
  });

  loadAttach()
    .then(({ bindDropAndPaste }) => bindDropAndPaste(root, stageFile))
    .catch(() => {});

  const box = messagesBox();
  if (box) fixDaySeparators(box);
  scrollToBottom();
  tickWindow();
  showNotifyState();
  loadPanel();
  connect();

  // Hooks for the browser tests and for a page that wants to reconnect.
  window.cenatInbox = { connect, disconnect, live, loadPanel };
})();

() => {
  const chat = () => document.getElementById("chat");
  const visible = (id) => { const el = document.getElementById(id); return !!el && el.checkVisibility(); };

  // Answers link each [n] marker to "#src-<turn>-<n>", the id of the quote in its source card. Instead of following
  // the link, open that answer's sources, scroll the card into view and flash it, so the reader sees which passage
  // it is. When that scrolled the page (phones: the sources are below the chat), a button leads back to the marker.
  let backTo = null;
  const backButton = document.createElement("button");
  backButton.id = "back-to-answer";
  backButton.type = "button";
  backButton.textContent = "↑ Back to the answer";
  backButton.hidden = true;
  backButton.addEventListener("click", () => {
    backButton.hidden = true;
    if (!backTo || !backTo.isConnected) return;
    const box = backTo.getBoundingClientRect();
    window.scrollBy({ top: box.top - window.innerHeight / 3 });
    backTo.focus({ preventScroll: true });
    preview.hidden = true;  // focus opens the marker's preview: after the trip to its card it would only cover the page
  });
  document.body.appendChild(backButton);
  // Another tab or the article reader has no answer above it to go back to: the button would only cover them
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest('[role="tab"], .open-article')) backButton.hidden = true;
  }, true);

  const showSource = (link) => {
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    const card = target.closest(".source-card") || target;
    const section = card.closest("details");
    if (section) section.open = true;
    // Scroll only the sources panel and the window: scrollIntoView would also scroll gradio's overflow-hidden
    // layout boxes sideways.
    const panel = card.closest("#sources");
    if (panel) panel.scrollTop += card.getBoundingClientRect().top - panel.getBoundingClientRect().top - 12;
    const box = card.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      window.scrollBy({ top: box.top - Math.max(12, (window.innerHeight - box.height) / 2) });
      backTo = link;
      backButton.hidden = false;
    }
    for (const el of new Set([card, target])) {
      el.classList.remove("flash");
      void el.offsetWidth;  // restarts the animation when the same card is chosen twice
      el.classList.add("flash");
    }
    target.focus({ preventScroll: true });
  };

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    showSource(link);
    preview.hidden = true;  // the card itself is shown now; a tap leaves no mouseout to close the preview
  }, true);

  // "Open the article here": the card's request goes to the server through a hidden box; the article comes back
  // over the page and is scrolled to the quote (the nonce tells this reply from an earlier one).
  let opening = null;
  document.addEventListener("click", (event) => {
    const opener = event.target.closest && event.target.closest(".open-article");
    if (!opener) return;
    const request = document.querySelector("#open-request textarea, #open-request input");
    if (!request) return;
    opening = String(Date.now());
    const setValue = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(request), "value").set;
    setValue.call(request, JSON.stringify({ ...JSON.parse(opener.dataset.open), nonce: opening }));
    request.dispatchEvent(new Event("input", { bubbles: true }));
  });
  setInterval(() => {
    const mark = opening && document.querySelector(`#reader-mark[data-nonce="${opening}"]`);
    const article = document.getElementById("reader-article");  // it scrolls, below the reader's close button
    if (!mark || !article || !article.checkVisibility()) return;
    opening = null;
    const below = mark.getBoundingClientRect().top - article.getBoundingClientRect().top;
    article.scrollTop += below - article.clientHeight / 3;
    mark.focus({ preventScroll: true });
  }, 100);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && visible("reader")) document.getElementById("reader-close").click();
  });

  // After an upload the articles table (which scrolls on its own) shows what was added: the newest uploads are its
  // first rows (Library.articles), so when it gains rows (once it has been filled, only an upload adds any), scroll
  // it to the top and flash the new ones.
  let tableRows = 0;
  setInterval(() => {
    const grid = document.querySelector('#articles-table [role="grid"]');
    const rows = grid ? Number(grid.getAttribute("aria-rowcount")) : tableRows;
    // 0: not drawn yet; 1: only the header (the page is loading, or the first upload: its one row is in sight)
    const added = tableRows > 1 ? rows - tableRows : 0;
    tableRows = rows;
    const table = grid && grid.querySelector(".virtual-table-viewport");
    if (added <= 0 || !table) return;
    table.scrollTop = 0;
    requestAnimationFrame(() => {  // the rows at the top are drawn once the table has scrolled there
      const fresh = [...table.querySelectorAll(".virtual-row")].filter((row) => Number(row.dataset.index) < added);
      for (const row of fresh) row.classList.add("flash");
      // taken off when the animation ends: a row the table draws again would flash again
      setTimeout(() => { for (const row of fresh) row.classList.remove("flash"); }, 2500);
    });
  }, 300);

  // A preview of the quote on hover or keyboard focus of a marker: the article's title and the quoted sentence.
  const preview = document.createElement("div");
  preview.id = "cite-preview";
  preview.setAttribute("role", "tooltip");
  preview.hidden = true;
  document.body.appendChild(preview);
  const showPreview = (link) => {
    const target = document.getElementById(link.getAttribute("href").slice(1));
    const article = target && target.closest(".source-article");
    if (!article) return;
    const title = document.createElement("strong");
    title.textContent = article.querySelector(".source-title").textContent;
    const quote = document.createElement("span");
    quote.textContent = target.textContent || (target.nextElementSibling || {}).textContent || "";
    preview.replaceChildren(title, quote);
    preview.hidden = false;
    link.setAttribute("aria-describedby", "cite-preview");
    const box = link.getBoundingClientRect();
    const width = Math.min(360, window.innerWidth - 16);
    preview.style.width = `${width}px`;
    preview.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - width - 8)) + window.scrollX}px`;
    const below = box.bottom + 8 + preview.offsetHeight < window.innerHeight;
    preview.style.top = `${(below ? box.bottom + 6 : box.top - preview.offsetHeight - 6) + window.scrollY}px`;
  };
  const marker = (event) => event.target.closest && event.target.closest('a[href^="#src-"]');
  document.addEventListener("mouseover", (event) => { const link = marker(event); if (link) showPreview(link); });
  document.addEventListener("focusin", (event) => { const link = marker(event); if (link) showPreview(link); });
  for (const type of ["mouseout", "focusout"]) {
    document.addEventListener(type, (event) => { if (marker(event)) preview.hidden = true; });
  }
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") preview.hidden = true; });

  // Copy: the answer as plain text with its [n] and the numbered sources (the sources panel holds that text for
  // each turn), a question as shown; never the markdown the chat is rendered from.
  const messageText = (message) => {
    if (message.dataset.testid === "bot") {
      const answers = [...chat().querySelectorAll('[data-testid="bot"]')];
      const kept = document.querySelector(`#sources .copy-text[data-turn="${answers.indexOf(message)}"]`);
      if (kept) return kept.textContent;
    }
    return message.innerText.trim();
  };
  document.addEventListener("click", (event) => {
    const copy = event.target.closest && event.target.closest('#chat button[aria-label="Copy message"]');
    if (!copy) return;
    const row = copy.closest(".message-buttons").previousElementSibling;
    const message = row && row.querySelector('[data-testid="bot"], [data-testid="user"]');
    if (!message) return;
    event.preventDefault();
    event.stopPropagation();
    navigator.clipboard.writeText(messageText(message)).then(() => {
      copy.title = "Copied";
      copy.classList.add("copied");
      setTimeout(() => { copy.title = "Copy message"; copy.classList.remove("copied"); }, 1500);
    });
  }, true);

  // Screen readers hear a message as it reads, not the markdown behind it.
  const labelMessages = () => {
    for (const message of document.querySelectorAll('#chat [data-testid="bot"], #chat [data-testid="user"]')) {
      const label = `${message.dataset.testid === "bot" ? "Answer" : "Question"}: ${message.innerText.trim()}`;
      if (message.getAttribute("aria-label") !== label) message.setAttribute("aria-label", label);
    }
  };
  new MutationObserver(labelMessages).observe(document.body, { subtree: true, childList: true, characterData: true,
                                                                attributes: true, attributeFilter: ["aria-label"] });

  // One answer at a time: a question sent while one is being written waits in the box, marked as queued, and is
  // asked when that answer ends (or Stop is pressed). The draft is never erased.
  let pending = false, sentAt = 0, sawWorking = false, endedAt = 0;
  const queuedNote = document.createElement("div");
  queuedNote.id = "queued-note";
  queuedNote.setAttribute("role", "status");
  const box = () => document.querySelector("#question textarea");
  const QUEUED = "Queued: this question is asked when the current answer ends (or press Stop).";
  const note = (message) => {
    const question = document.getElementById("question");
    if (message && question && !queuedNote.isConnected) question.after(queuedNote);
    queuedNote.textContent = message;
    queuedNote.hidden = !message;
  };
  const setQueued = (on) => {
    note(on ? QUEUED : "");
    const question = document.getElementById("question");
    if (question) question.classList.toggle("queued", on);
  };
  let queued = false, keyLetThrough = false, repliesAtSend = 0;
  // a reply that settles at once (a bad filter's error) never shows the indicator: a new reply also ends the wait
  const replies = () => document.querySelectorAll('#chat [data-testid="bot"]').length;
  const awaitAnswer = () => { pending = true; sentAt = Date.now(); sawWorking = false; repliesAtSend = replies(); };
  const send = () => {
    const button = document.querySelector('#question button[data-testid="submit-button"]');
    if (!button || !box() || !box().value.trim()) return;
    awaitAnswer();
    button.click();
  };
  const intercept = (event) => {
    const isEnter = event.target === box() && event.key === "Enter" && !event.shiftKey && !event.isComposing;
    const isAsk = event.type === "click" && event.target.closest && event.target.closest(
      '#question button[data-testid="submit-button"]');
    if (!(isEnter || isAsk) || !box() || !box().value.trim()) return;
    if (event.type === "keypress" && keyLetThrough) { keyLetThrough = false; return; }  // its keydown was sent
    if (!pending && !visible("working")) {
      awaitAnswer();
      keyLetThrough = event.type === "keydown";
      return;
    }
    if (event.isTrusted === false && isAsk) return;  // our own send()
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.type !== "keypress") { queued = true; setQueued(true); }
  };
  for (const type of ["keydown", "keypress", "click"]) document.addEventListener(type, intercept, true);
  // An example picked while an answer is written is politely refused (the list shows examples shortened, so one
  // cannot be queued from it).
  document.addEventListener("click", (event) => {
    const example = event.target.closest && event.target.closest("#examples button");
    if (!example || !(pending || visible("working"))) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    note("One question at a time: pick the example again when this answer ends, or press Stop.");
    setTimeout(() => note(queued ? QUEUED : ""), 5000);
  }, true);
  document.addEventListener("input", (event) => {
    if (queued && event.target === box() && !box().value.trim()) { queued = false; setQueued(false); }
  }, true);
  setInterval(() => {
    const working = visible("working");
    if (working) sawWorking = true;
    // the answer ended (its indicator came and went), or it never started (a blank question is ignored)
    const ended = sawWorking || replies() > repliesAtSend || Date.now() - sentAt > 15000;
    if (pending && !working && ended) { pending = false; endedAt = Date.now(); }
    if (!pending && !working && queued && Date.now() - endedAt > 300) {  // once gradio has settled the last one
      queued = false;
      setQueued(false);
      send();
    }
  }, 200);
}

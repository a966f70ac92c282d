() => {
  // Answers link each [n] marker to "#src-<turn>-<n>", the id of its source card. Instead of following the link,
  // open that answer's sources, scroll the card into view and flash it, so the reader sees which passage it is.
  const showSource = (id) => {
    const card = document.getElementById(id);
    if (!card) return;
    const section = card.closest("details");
    if (section) section.open = true;
    // Scroll only the sources panel and the window: scrollIntoView would also scroll gradio's overflow-hidden
    // layout boxes sideways.
    const panel = card.closest("#sources");
    if (panel) panel.scrollTop += card.getBoundingClientRect().top - panel.getBoundingClientRect().top - 12;
    const box = card.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      window.scrollBy({ top: box.top - Math.max(12, (window.innerHeight - box.height) / 2), behavior: "smooth" });
    }
    card.classList.remove("flash");
    void card.offsetWidth;  // restarts the animation when the same card is chosen twice
    card.classList.add("flash");
    card.focus({ preventScroll: true });
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    showSource(link.getAttribute("href").slice(1));
  }, true);
}

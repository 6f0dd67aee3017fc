// Copy buttons of the escalation page: each copies its field's text for pasting into the
// Partner Center portal (a file, not an inline handler: the CSP forbids those).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const text = source.value !== undefined ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    // No clipboard permission (plain http): select the text so Ctrl+C copies it.
    const range = document.createRange();
    range.selectNodeContents(source);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
  }
  button.dataset.copied = "1";
  button.textContent = "Copied ✓";
  setTimeout(() => { button.textContent = "Copy"; delete button.dataset.copied; }, 2000);
});

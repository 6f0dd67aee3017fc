// Choosing a language submits its form at once (a file, not an inline handler: the CSP forbids those).
document.addEventListener("change", (event) => {
  if (event.target.matches(".lang-switch select")) event.target.form.submit();
});

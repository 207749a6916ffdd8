// What the pages ask of the browser, declared with data attributes: the Content-Security-Policy forbids
// inline script and inline event handlers, so every bit of behaviour lives in this file.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]") && event.target.form) event.target.form.requestSubmit();
});

/* A button with data-print prints the page (the counter's receipt). Bound here rather than in an
   onclick attribute: the Content-Security-Policy allows no inline event handlers. */
(() => {
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
})();

/* Keyboard-first forms (data-enter-advances): Enter moves to the next field, as a card reader ends
   the number with Enter; Enter in the last field submits. The autofocused field is selected, so a
   refused card is simply swiped again. A file of its own, not an inline script: the
   Content-Security-Policy allows scripts from this origin only (docs/architecture.md). */
(() => {
  for (const form of document.querySelectorAll("form[data-enter-advances]")) {
    const first = form.querySelector("[autofocus]");
    if (first) { first.focus(); if (first instanceof HTMLInputElement) first.select(); }
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const fields = [...form.querySelectorAll("input:not([type=hidden]), select")];
      const index = fields.indexOf(event.target);
      if (index < 0) return;
      event.preventDefault();
      const next = fields[index + 1];
      if (next) {
        next.focus();
        if (next instanceof HTMLInputElement) next.select();
      } else {
        form.requestSubmit();
      }
    });
  }
})();

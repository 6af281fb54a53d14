/* Django's autocomplete fields (select2) hide the labelled <select> and show a combobox, and a textbox
   inside it, named only by the current choice, so an empty field has no accessible name for a screen
   reader (axe-core: aria-input-field-name). After select2 has drawn the boxes, name both by the
   field's <label> too. Loaded by portal.admin_helpers.LabelledAutocomplete.
   Django's autocomplete.js draws the boxes in a jQuery ready callback registered when it loads; this
   one is registered at DOMContentLoaded, after every script has run, so jQuery calls it after. */
document.addEventListener("DOMContentLoaded", function () {
  django.jQuery(function () {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      var box = container && container.querySelector(".select2-selection");
      if (!label || !box) return;
      label.id = label.id || select.id + "_label";
      var current = box.getAttribute("aria-labelledby");
      box.setAttribute("aria-labelledby", current ? label.id + " " + current : label.id);
      var shown = box.querySelector(".select2-selection__rendered");
      if (shown) shown.setAttribute("aria-labelledby", label.id);
    });
  });
});

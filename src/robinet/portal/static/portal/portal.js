/* Robinet portal: small enhancements, no inline script (Content-Security-Policy). */
(function () {
  "use strict";
  // The language menu applies the choice at once; the form's button does it without script.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-submit-on-change]")) event.target.form.submit();
  });
})();

/* Robinet back-office: small progressive enhancements. Every page works without them. */
(function () {
  "use strict";

  // Show/hide the fields that depend on a select's value: an element with
  // data-show-when="<select id>:<value>[,<value>…]" is shown only for those
  // values. A field with an error is never hidden (the officer must see it).
  // Elements with data-disable-when="<select id>:<value>" are disabled and hidden.
  function applyConditional(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (el) {
      var spec = el.getAttribute("data-show-when").split(":");
      var select = document.getElementById(spec[0]);
      if (!select) return;
      var values = spec[1].split(",");
      var show = values.indexOf(select.value) !== -1 || el.querySelector(".is-invalid") !== null;
      el.classList.toggle("d-none", !show);
    });
    root.querySelectorAll("[data-disable-when]").forEach(function (el) {
      var spec = el.getAttribute("data-disable-when").split(":");
      var select = document.getElementById(spec[0]);
      if (!select) return;
      var off = spec[1].split(",").indexOf(select.value) !== -1;
      el.classList.toggle("d-none", off);
      el.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = off;
        if (off) input.value = "";
      });
    });
  }

  function init(root) {
    applyConditional(root);
    // A notice the officer must read first (e.g. the Bloctel notice, CUST-5).
    var notice = root.querySelector && root.querySelector("[data-scroll-into-view]");
    if (notice) notice.scrollIntoView({block: "center"});
  }

  // Read-only fields whose value is meant to be copied (a new API token).
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select")) applyConditional(document);
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });

  // Action forms open in a modal when JavaScript is on (plain pages otherwise).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "action-modal-content") {
      var modal = document.getElementById("action-modal");
      bootstrap.Modal.getOrCreateInstance(modal).show();
      var first = target.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
      if (first) first.focus();
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    if (target && target.id === "action-modal-content") {
      var status = event.detail.xhr.status;
      target.innerHTML =
        '<div class="modal-body"><div class="alert alert-danger mb-0" role="alert">' +
        (status === 403 ? "Vous n'avez pas l'habilitation nécessaire pour cette action."
          : status === 404 ? "Élément introuvable." : "Une erreur est survenue (" + status + ").") +
        "</div></div>";
      bootstrap.Modal.getOrCreateInstance(document.getElementById("action-modal")).show();
    }
  });
})();

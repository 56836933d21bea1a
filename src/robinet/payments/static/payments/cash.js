// The counter form: the cheque fields show only when the means is a cheque.
// Without JavaScript they stay visible (and the service checks them anyway).
(function () {
  "use strict";
  var means = document.getElementById("id_means");
  var cheque = document.getElementById("cash-cheque-fields");
  if (!means || !cheque) {
    return;
  }
  function sync() {
    cheque.hidden = means.value !== "cheque";
  }
  means.addEventListener("change", sync);
  sync();
})();

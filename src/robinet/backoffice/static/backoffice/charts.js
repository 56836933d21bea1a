/* Robinet: the charts of the reports (REP-5), of consumption (METER-6) and of billing
   statistics (BILL-12). Static, so that the Content-Security-Policy allows no inline script;
   each reads its data from a json_script element named by the canvas. */
(function () {
  "use strict";
  // REP-5: each report chart is a Chart.js configuration ({type, labels, datasets, stacked}).
  var palette = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545", "#20c997", "#ffc107", "#6c757d", "#0dcaf0"];
  function draw(canvas) {
    if (!window.Chart || canvas.dataset.drawn) return;
    var source = document.getElementById(canvas.getAttribute("data-report-chart"));
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    canvas.dataset.drawn = "1";
    var datasets = spec.datasets.map(function (d, i) {
      var colour = d.color || palette[i % palette.length];
      return Object.assign({backgroundColor: colour, borderColor: colour, tension: 0.2}, d);
    });
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: {labels: spec.labels, datasets: datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: spec.type === "doughnut" ? {} : {
          x: {stacked: !!spec.stacked},
          y: {stacked: !!spec.stacked, beginAtZero: true, title: {display: !!spec.y_label, text: spec.y_label || ""}}
        },
        plugins: {legend: {position: "bottom"}}
      }
    });
  }
  function init(root) {
    if (root.querySelectorAll) root.querySelectorAll("canvas[data-report-chart]").forEach(draw);
  }
  init(document);
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();

(function () {
  "use strict";
  // METER-6: daily average per reading period (bars) and the same period last year (line).
  function draw(canvas) {
    if (!window.Chart || canvas.dataset.drawn) return;
    var source = document.getElementById(canvas.getAttribute("data-consumption-chart"));
    if (!source) return;
    var data = JSON.parse(source.textContent);
    // Translated labels come from the page (a <template> with data attributes).
    var labels = (document.getElementById("consumption-chart-labels") || {dataset: {}}).dataset;
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          {type: "bar", label: labels.current, data: data.current, backgroundColor: "rgba(13, 110, 253, 0.6)", order: 2},
          {type: "line", label: labels.previous, data: data.previous, borderColor: "#fd7e14", backgroundColor: "#fd7e14", spanGaps: true, tension: 0.2, order: 1}
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {y: {beginAtZero: true, title: {display: true, text: labels.axis}}},
        plugins: {legend: {position: "bottom"}}
      }
    });
  }
  function init(root) {
    if (root.matches && root.matches("canvas[data-consumption-chart]")) draw(root);
    if (root.querySelectorAll) root.querySelectorAll("canvas[data-consumption-chart]").forEach(draw);
  }
  init(document);
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();

(function () {
  "use strict";
  // BILL-12: net amounts by issue month (bars) and net amounts excl. VAT by beneficiary.
  var source = document.getElementById("statistics-charts");
  if (!window.Chart || !source) return;
  var data = JSON.parse(source.textContent);
  var numbers = function (values) { return values.map(Number); };
  var euros = function (value) { return Number(value).toLocaleString("fr-FR", {style: "currency", currency: "EUR"}); };
  var tooltip = {callbacks: {label: function (c) { return (c.dataset.label ? c.dataset.label + " : " : c.label + " : ") + euros(c.parsed.y !== undefined ? c.parsed.y : c.parsed); }}};
  var months = document.getElementById("chart-months");
  if (months) {
    new window.Chart(months, {
      type: "bar",
      data: {
        labels: data.months.labels,
        datasets: [
          {label: "HT net", data: numbers(data.months.excl_vat), backgroundColor: "rgba(13, 110, 253, 0.7)", stack: "ttc"},
          {label: "TVA nette", data: numbers(data.months.vat), backgroundColor: "rgba(253, 126, 20, 0.7)", stack: "ttc"}
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, title: {display: true, text: "€"}}},
        plugins: {legend: {position: "bottom"}, tooltip: tooltip}
      }
    });
  }
  var beneficiaries = document.getElementById("chart-beneficiaries");
  if (beneficiaries) {
    new window.Chart(beneficiaries, {
      type: "doughnut",
      data: {
        labels: data.beneficiaries.labels,
        datasets: [{data: numbers(data.beneficiaries.amounts), backgroundColor: ["#0d6efd", "#198754", "#0dcaf0", "#6c757d", "#ffc107"]}]
      },
      options: {responsive: true, maintainAspectRatio: false, animation: false, plugins: {legend: {position: "bottom"}, tooltip: tooltip}}
    });
  }
})();

/* Sisumaker progressive enhancement. Everything works without this file. */
(function () {
  "use strict";
  function wireFilters(root) {
    root.querySelectorAll("input[data-filter]").forEach(function (input) {
      if (input.dataset.wired) return;
      input.dataset.wired = "1";
      input.hidden = false;
      input.addEventListener("input", function () {
        var box = document.querySelector(input.dataset.filter);
        if (!box) return;
        var q = input.value.trim().toLowerCase();
        box.querySelectorAll("label.choice").forEach(function (label) {
          var match = !q || label.textContent.toLowerCase().indexOf(q) !== -1;
          var checked = label.querySelector("input") && label.querySelector("input").checked;
          label.hidden = !(match || checked);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wireFilters(document); });
  document.addEventListener("htmx:afterSwap", function (e) { wireFilters(e.target); });
  document.addEventListener("htmx:oobAfterSwap", function (e) { wireFilters(e.target); });
})();
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var name = e.target && e.target.dataset && e.target.dataset.selectAll;
    if (!name) return;
    name.split(",").forEach(function (n) {
      document.querySelectorAll('input[name="' + n + '"]').forEach(function (box) { box.checked = e.target.checked; });
    });
  });
})();

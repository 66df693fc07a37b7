/* The task form's live count: as categories and districts are typed, ask the hub how many active
   entities match (the preview button then shows strata, quotas and feasibility). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("task-form");
    var out = document.getElementById("population-count");
    if (!form || !out) return;
    var timer = null;
    function update() {
      var q = new URLSearchParams({
        categories: form.elements.categories.value,
        districts: form.elements.districts.value
      });
      fetch(form.dataset.countUrl + "?" + q.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (c) {
          out.textContent = "符合类别与区县的在营检查对象：" + c.count + " 家（分层、排除与配额见预览）";
        })
        .catch(function () { out.textContent = ""; });
    }
    ["categories", "districts"].forEach(function (name) {
      form.elements[name].addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(update, 300);
      });
    });
    if (form.elements.categories.value) update();
  });
})();

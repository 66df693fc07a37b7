/* The draw's progress, live: while the worker runs it, poll the task's status.json (progress written by
   the draw job into the database) and show it; when it ends, reload the page for the record and the
   assignments. Without JavaScript the page offers a refresh link instead. */
(function () {
  "use strict";

  function poll(bar) {
    var text = document.getElementById("draw-progress-text");
    var status = document.getElementById("draw-status-text");
    fetch(bar.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.hidden = false;
        bar.value = s.draw_progress;
        if (text) text.textContent = s.draw_progress + "%";
        if (status) status.textContent = s.draw_status_name || s.draw_status;
        if (s.draw_status === "queued" || s.draw_status === "running") {
          window.setTimeout(function () { poll(bar); }, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(function () { poll(bar); }, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.getElementById("draw-progress");
    if (bar && bar.dataset.live === "yes") poll(bar);
  });
})();

// Live progress on a run page: polls the run's status.json and updates the
// <progress> bar, the status badge and the message; reloads once the run
// finishes so the result appears. No inline script: the URL comes from a data attribute.
(function () {
  "use strict";
  var box = document.querySelector(".run-progress[data-status-url]");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("run-progress-bar");
  var message = document.getElementById("run-message");
  var badge = document.getElementById("run-status");
  var queue = document.getElementById("run-queue");
  var failures = 0;

  function update(data) {
    if (bar) { bar.value = data.progress; bar.textContent = Math.round(data.progress * 100) + "%"; }
    if (message) { message.textContent = data.message || ""; }
    if (badge) { badge.textContent = data.status; badge.className = "status status-" + data.status; }
    if (queue) { queue.textContent = data.queue || ""; queue.hidden = !data.queue; }
    if (data.finished) { window.location.reload(); return true; }
    return false;
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { failures = 0; if (!update(data)) { window.setTimeout(poll, 1500); } })
      .catch(function () {
        failures += 1;
        window.setTimeout(poll, Math.min(30000, 1500 * Math.pow(2, failures)));
      });
  }
  window.setTimeout(poll, 1000);
})();

// Live preview of a draft: POST the Markdown to the preview endpoint, debounced,
// and show the server-rendered (sanitised) HTML. No inline script: the page
// marks the textarea with data-preview-url and data-preview-target.
(function () {
  "use strict";
  var DELAY_MS = 400;

  function csrfToken(form) {
    var field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // Figures in the preview are drawn by figures.js (a preview requests no runs: it shows the
  // runs that exist). A figure whose HTML did not change keeps its drawn plot across refreshes,
  // so typing elsewhere never makes it flicker.
  function replacePreview(target, html) {
    var figures = window.lmFigures;
    var fresh = document.createElement("template");
    fresh.innerHTML = html;
    if (figures && figures.init) {
      var kept = {};
      target.querySelectorAll("figure.lm-figure-live").forEach(function (fig) {
        if (fig.lmSource) kept[fig.lmSource] = fig;
      });
      fresh.content.querySelectorAll("figure.lm-figure-live").forEach(function (fig) {
        var source = fig.outerHTML;
        var old = kept[source];
        if (old) {
          fig.replaceWith(old);
          delete kept[source];
        } else {
          fig.lmSource = source;
        }
      });
      Object.keys(kept).forEach(function (source) { figures.dispose(kept[source]); });
    }
    target.replaceChildren(fresh.content);
    if (figures && figures.init) figures.init(target);
  }

  function setup(textarea) {
    var url = textarea.getAttribute("data-preview-url");
    var target = document.getElementById(textarea.getAttribute("data-preview-target"));
    var form = textarea.form;
    var bibliography = form ? form.querySelector("[name=bibliography]") : null;
    if (!url || !target) return;
    var timer = null;
    var sequence = 0;

    function refresh() {
      var mine = ++sequence;
      var body = new FormData();
      body.append("body", textarea.value);
      if (bibliography) body.append("bibliography", bibliography.value);
      fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken(form), "X-Requested-With": "fetch"}
      }).then(function (response) {
        if (!response.ok) throw new Error("preview failed: " + response.status);
        return response.text();
      }).then(function (html) {
        if (mine !== sequence) return;  // a newer request is on its way
        replacePreview(target, html);   // sanitised by the server's renderer
        target.setAttribute("data-rendered", String(mine));
      }).catch(function (error) {
        if (mine !== sequence) return;
        target.textContent = "The preview is unavailable (" + error.message + "); your text is safe, save the draft.";
      });
    }

    function schedule() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    textarea.addEventListener("input", schedule);
    if (bibliography) bibliography.addEventListener("input", schedule);
    if (textarea.value.trim()) refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var areas = document.querySelectorAll("textarea[data-preview-url]");
    for (var i = 0; i < areas.length; i++) setup(areas[i]);
  });
})();

// Live figures: every <figure class="lm-figure-live"> lists its runs (one per grid
// point) in data-points. We fetch the selected run's figure.json, draw its Bokeh
// item, switch grid points without a reload, toggle the theory overlay through
// the Bokeh document (renderers tagged "theory"), and poll while a run is queued
// or running. No inline scripts and no eval: the figures use no CustomJS.
(function () {
  "use strict";
  var POLL_MS = 2000;
  var firstDrawn = false;
  window.lmFigures = window.lmFigures || {};

  function $(root, selector) { return root.querySelector(selector); }

  function setStatus(fig, state, progress, message) {
    var box = $(fig, ".lm-figure-status");
    var bar = $(box, "progress");
    var text = $(box, ".lm-figure-message");
    box.hidden = state === "drawn";
    box.className = "lm-figure-status lm-figure-status-" + state;
    if (state === "active") {
      bar.hidden = false;
      bar.value = progress || 0;
      bar.textContent = Math.round((progress || 0) * 100) + "%";
    } else {
      bar.hidden = true;
    }
    text.textContent = message || "";
  }

  function chosenPoint(fig, points) {
    var choice = [];
    fig.querySelectorAll("select[data-grid-key]").forEach(function (select) { choice.push(select.value); });
    for (var i = 0; i < points.length; i += 1) {
      if (points[i].choice.join("\u0000") === choice.join("\u0000")) { return points[i]; }
    }
    return points[0];
  }

  function updateLinks(fig, point) {
    ["csv", "json", "rerun"].forEach(function (kind) {
      var link = fig.querySelector("a[data-link='" + kind + "']");
      if (link && point[kind]) { link.href = point[kind]; }
    });
  }

  function theoryVisible(fig) {
    var box = $(fig, "input[data-theory-toggle]");
    return !box || box.checked;
  }

  function applyTheory(fig) {
    var state = window.lmFigures[fig.id];
    if (!state || !state.doc) { return; }
    var visible = theoryVisible(fig);
    state.doc.all_models.forEach(function (model) {
      if (model.tags && model.tags.indexOf("theory") >= 0 && "visible" in model) { model.visible = visible; }
    });
  }

  function clearPlot(fig) {
    var state = window.lmFigures[fig.id];
    if (state && state.views) {
      state.views.roots.forEach(function (view) { view.remove(); });
    }
    if (state && state.doc) { state.doc.clear(); }
    $(fig, ".lm-figure-plot").textContent = "";
    window.lmFigures[fig.id] = { doc: null, views: null, run: null };
  }

  function draw(fig, data) {
    var target = $(fig, ".lm-figure-plot");
    clearPlot(fig);
    return window.Bokeh.embed.embed_item(data.item, target).then(function (views) {
      var doc = views.roots.length ? views.roots[0].model.document : null;
      window.lmFigures[fig.id] = { doc: doc, views: views, run: data.run };
      fig.setAttribute("data-run-shown", String(data.run));
      applyTheory(fig);
      setStatus(fig, "drawn", 1, "");
      window.requestAnimationFrame(function () {
        fig.setAttribute("data-drawn", "true");
        if (!firstDrawn) {
          firstDrawn = true;
          if (window.performance && performance.mark) { performance.mark("lmFirstFigureDrawn"); }
          window.lmFirstFigureDrawn = window.performance ? performance.now() : Date.now();
        }
      });
    });
  }

  function load(fig, point, url, token) {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("The figure could not be loaded (HTTP " + response.status + ")."); }
        return response.json();
      })
      .then(function (data) {
        if (fig.lmToken !== token) { return null; } // the reader switched meanwhile
        if (data.status === "queued" || data.status === "running") {
          setStatus(fig, "active", data.progress, (data.status === "queued" ? "Waiting for a worker" : "Computing") +
            (data.message ? ": " + data.message : "") + ". The figure appears when the run finishes.");
          window.setTimeout(function () { if (fig.lmToken === token) { load(fig, point, url, token); } }, POLL_MS);
          return null;
        }
        if (data.status === "succeeded" && data.item) { return draw(fig, data); }
        if (data.replacement_figure) { return load(fig, point, data.replacement_figure, token); }
        clearPlot(fig);
        setStatus(fig, "failed", 0, "This run " + data.status + ": " + (data.error || data.message || "no reason recorded") + ".");
        return null;
      })
      .catch(function (error) {
        if (fig.lmToken === token) { setStatus(fig, "failed", 0, String(error.message || error)); }
      });
  }

  function show(fig, points) {
    var point = chosenPoint(fig, points);
    updateLinks(fig, point);
    fig.lmToken = (fig.lmToken || 0) + 1;
    fig.setAttribute("data-drawn", "false");
    if (!point.figure) {
      setStatus(fig, "failed", 0, "This setting has not been computed yet.");
      return;
    }
    setStatus(fig, "active", 0, "Loading the figure…");
    load(fig, point, point.figure, fig.lmToken);
  }

  function setup(fig) {
    var points;
    try { points = JSON.parse(fig.getAttribute("data-points") || "[]"); } catch (e) { points = []; }
    if (!points.length || !window.Bokeh) { return; }
    var controls = $(fig, ".lm-figure-controls");
    if (controls) { controls.hidden = false; }
    fig.querySelectorAll("select[data-grid-key]").forEach(function (select) {
      select.addEventListener("change", function () { show(fig, points); });
    });
    var toggle = $(fig, "input[data-theory-toggle]");
    if (toggle) { toggle.addEventListener("change", function () { applyTheory(fig); }); }
    show(fig, points);
  }

  function start() { document.querySelectorAll("figure.lm-figure-live[data-points]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();

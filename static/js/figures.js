// Figures: every <figure class="lm-figure-live"> shows the static image of its default
// grid point at once (templates/experiments/includes/figure.html), with its size reserved.
// When the reader comes near a figure, or touches, hovers, focuses or uses its controls,
// we load BokehJS (once, from the URL in the #lm-figure-config data block) and the run's
// figure JSON, and draw the interactive figure over the image, in the same box.
//
// Switching grid points updates the drawn document's data sources instead of embedding
// again, so the figure never changes height; the theory overlay is toggled through the
// Bokeh document (renderers tagged "theory"); queued and running runs are polled. Neutral
// inks follow the page's light or dark mode (html[data-theme], the lm:themechange event, or
// the system's preference) with the same rule as the images (compute/figure_svg/ink.py).
// No inline scripts and no eval: the figures use no CustomJS.
//
// window.lmFigures.init(root) sets up the figures inside a fragment inserted later (the
// editor's preview); window.lmFigures.dispose(root) lets go of those about to be removed.
(function () {
  "use strict";
  var POLL_MS = 2000;
  // How near the viewport a figure must come before it is made interactive.
  var NEAR = "25% 0px";
  var NEUTRAL_CHROMA = 24;
  var NAMED = {
    black: "#000000", white: "#ffffff", gray: "#808080", grey: "#808080", darkgray: "#a9a9a9",
    darkgrey: "#a9a9a9", dimgray: "#696969", dimgrey: "#696969", lightgray: "#d3d3d3", lightgrey: "#d3d3d3",
    silver: "#c0c0c0", gainsboro: "#dcdcdc", whitesmoke: "#f5f5f5", slategray: "#708090", slategrey: "#708090"
  };
  var config = readConfig();
  var bokehLoading = null;
  var firstDrawn = false;
  var state = window.lmFigures && window.lmFigures.state ? window.lmFigures.state : {};
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(onNear, { rootMargin: NEAR }) : null;

  function $(root, selector) { return root.querySelector(selector); }

  function readConfig() {
    var el = document.getElementById("lm-figure-config");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  function withQuery(url, params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      if (params[key]) { parts.push(key + "=" + encodeURIComponent(params[key])); }
    });
    if (!parts.length) { return url; }
    return url + (url.indexOf("?") < 0 ? "?" : "&") + parts.join("&");
  }

  // --- light and dark ---------------------------------------------------------------

  function pageMode() {
    var mode = document.documentElement.getAttribute("data-theme");
    return mode === "dark" || mode === "light" ? mode : null;
  }

  function effectiveMode() {
    var mode = pageMode();
    if (mode) { return mode; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function rgb(value) {
    if (typeof value !== "string") { return null; }
    var text = value.trim().toLowerCase();
    if (NAMED[text]) { text = NAMED[text]; }
    var m = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(text);
    if (m) {
      var d = m[1];
      if (d.length <= 4) { d = d.split("").map(function (c) { return c + c; }).join(""); }
      return [parseInt(d.slice(0, 2), 16), parseInt(d.slice(2, 4), 16), parseInt(d.slice(4, 6), 16)];
    }
    m = /^rgba?\(\s*([0-9.]+)[ ,]+([0-9.]+)[ ,]+([0-9.]+)/.exec(text);
    return m ? [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3])] : null;
  }

  function lightness(c) { return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; }

  function hex(c) {
    return "#" + c.map(function (v) { return ("0" + v.toString(16)).slice(-2); }).join("");
  }

  // The house token a colour stands for: the token whose light value it is, else for a neutral colour that
  // is not a series colour the token nearest in lightness; null for a data colour (compute/figure_svg/ink.py).
  function tokenOf(value) {
    var c = rgb(value);
    var inks = config.inks || {};
    if (!c) { return null; }
    var exact = Object.keys(inks).filter(function (name) { return inks[name].light === hex(c); });
    if (exact.length) { return exact[0]; }
    if (Math.max(c[0], c[1], c[2]) - Math.min(c[0], c[1], c[2]) > NEUTRAL_CHROMA) { return null; }
    if ((config.palette || []).indexOf(hex(c)) >= 0) { return null; }
    var best = null, gap = Infinity;
    Object.keys(inks).forEach(function (name) {
      var ink = rgb(inks[name].light);
      var d = ink ? Math.abs(lightness(ink) - lightness(c)) : Infinity;
      if (d < gap) { gap = d; best = name; }
    });
    return best;
  }

  function isPlot(model) { return model && "renderers" in model && "x_range" in model; }

  // Every colour property of the drawn document that holds a neutral ink, with its value as drawn.
  function inkedProperties(doc) {
    var found = [];
    doc.all_models.forEach(function (model) {
      var props = model.properties || {};
      Object.keys(props).forEach(function (name) {
        if (!/_colou?r$/.test(name)) { return; }
        var value = model[name];
        var plain = value && typeof value === "object" && "value" in value ? value.value : value;
        var token = tokenOf(plain);
        if (token) { found.push({ model: model, name: name, value: value, token: token }); }
      });
    });
    return found;
  }

  function recolour(figState) {
    if (!figState || !figState.inked) { return; }
    var mode = effectiveMode();
    var inks = config.inks || {};
    figState.inked.forEach(function (entry) {
      var target = entry.value;
      if (mode === "dark") {
        var paper = entry.token === "paper";
        // A plot's own background lets the page show through; a legend's takes the dark paper.
        var dark = paper && isPlot(entry.model) ? null : inks[entry.token].dark;
        target = entry.value && typeof entry.value === "object" && "value" in entry.value ? { value: dark } : dark;
      }
      var change = {};
      change[entry.name] = target;
      try { entry.model.setv(change); } catch (e) { /* a property that refuses the value keeps its own */ }
    });
  }

  function imageUrl(point) {
    return withQuery(point.image, { v: config.version, theme: pageMode() });
  }

  function retintImages(root) {
    root.querySelectorAll("figure.lm-figure-live").forEach(function (fig) {
      var s = state[fig.id];
      var img = $(fig, "img.lm-figure-image");
      if (!s || !img) { return; }
      var point = s.points[s.shown] || s.points[s.defaultIndex];
      if (point && point.image) {
        var url = imageUrl(point);
        if (img.getAttribute("src") !== url) { img.setAttribute("src", url); }
      }
    });
  }

  function onThemeChange() {
    retintImages(document);
    Object.keys(state).forEach(function (id) { recolour(state[id]); });
  }

  // --- BokehJS on demand ------------------------------------------------------------

  function loadBokeh() {
    if (window.Bokeh && window.Bokeh.embed) { return Promise.resolve(window.Bokeh); }
    if (!bokehLoading) {
      bokehLoading = new Promise(function (resolve, reject) {
        if (!config.bokeh) { reject(new Error("The figure library is not configured on this page.")); return; }
        if (window.performance && performance.mark) { performance.mark("lmBokehRequested"); }
        var script = document.createElement("script");
        script.src = config.bokeh;
        script.async = true;
        script.onload = function () {
          if (window.Bokeh && window.Bokeh.embed) { resolve(window.Bokeh); } else { reject(new Error("The figure library did not start.")); }
        };
        script.onerror = function () {
          bokehLoading = null;
          script.remove();
          reject(new Error("The interactive figure could not be loaded; the image shows the same figure."));
        };
        document.head.appendChild(script);
      });
    }
    return bokehLoading;
  }

  // --- one figure -------------------------------------------------------------------

  function setStatus(fig, kind, progress, message) {
    var box = $(fig, ".lm-figure-status");
    if (!box) { return; }
    var bar = $(box, "progress");
    box.hidden = kind === "drawn";
    box.className = "lm-figure-status lm-figure-status-" + kind;
    bar.hidden = kind !== "active";
    if (kind === "active") {
      bar.value = progress || 0;
      bar.textContent = Math.round((progress || 0) * 100) + "%";
    }
    $(box, ".lm-figure-message").textContent = message || "";
  }

  function chosenIndex(fig, s) {
    var choice = [];
    fig.querySelectorAll("select[data-grid-key]").forEach(function (select) { choice.push(select.value); });
    for (var i = 0; i < s.points.length; i += 1) {
      if (s.points[i].choice.join("\u0000") === choice.join("\u0000")) { return i; }
    }
    return s.defaultIndex;
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
    var s = state[fig.id];
    if (!s || !s.doc) { return; }
    var visible = theoryVisible(fig);
    s.doc.all_models.forEach(function (model) {
      if (model.tags && model.tags.indexOf("theory") >= 0 && "visible" in model) { model.visible = visible; }
    });
  }

  function typeName(model) { return model && model.constructor ? model.constructor.__name__ : ""; }

  // The models whose content changes between grid points, by type, in document order.
  function contentModels(doc) {
    var out = { ColumnDataSource: [], Title: [], Axis: [], LegendItem: [] };
    doc.all_models.forEach(function (model) {
      var name = typeName(model);
      if (name === "ColumnDataSource") { out.ColumnDataSource.push(model); }
      else if (name === "Title") { out.Title.push(model); }
      else if (/Axis$/.test(name)) { out.Axis.push(model); }
      else if (name === "LegendItem") { out.LegendItem.push(model); }
    });
    return out;
  }

  // Put another run's figure into the drawn document: same layout and size, new data and labels.
  // Returns false when the two figures are not built alike (then the caller embeds afresh).
  function swapInto(s, item) {
    var Doc = s.doc.constructor;
    if (!Doc || !Doc.from_json) { return false; }
    var incoming;
    try { incoming = Doc.from_json(item.doc); } catch (e) { return false; }
    var a = contentModels(s.doc), b = contentModels(incoming);
    var alike = Object.keys(a).every(function (k) { return a[k].length === b[k].length; });
    if (!alike || !a.ColumnDataSource.length) { return false; }
    a.ColumnDataSource.forEach(function (source, i) { source.data = b.ColumnDataSource[i].data; });
    a.Title.forEach(function (m, i) { m.text = b.Title[i].text; });
    a.Axis.forEach(function (m, i) { m.axis_label = b.Axis[i].axis_label; });
    a.LegendItem.forEach(function (m, i) { m.label = b.LegendItem[i].label; });
    // Ranges fit the new data, even where the reader had zoomed.
    (s.views ? s.views.roots : []).forEach(function resetAll(view) {
      if (typeof view.reset === "function" && "frame" in view) { view.reset(); }
      (view.child_views || []).forEach(resetAll);
    });
    return true;
  }

  function markDrawn(fig, s, run) {
    s.run = run;
    fig.setAttribute("data-run-shown", String(run));
    fig.classList.add("lm-figure-drawn");
    applyTheory(fig);
    // Read the inks once, as drawn in light mode: a swap of data keeps them, a new embedding reads them again.
    if (!s.inked) { s.inked = inkedProperties(s.doc); }
    recolour(s);
    setStatus(fig, "drawn", 1, "");
    window.requestAnimationFrame(function () {
      fig.setAttribute("data-drawn", "true");
      if (!firstDrawn) {
        firstDrawn = true;
        if (window.performance && performance.mark) { performance.mark("lmFirstFigureDrawn"); }
        window.lmFirstFigureDrawn = window.performance ? performance.now() : Date.now();
      }
    });
  }

  function draw(fig, data) {
    var s = state[fig.id];
    var layer = $(fig, ".lm-figure-live-layer");
    if (s.doc && swapInto(s, data.item)) {
      // The swapped data carries light inks again: recolour before the next frame.
      markDrawn(fig, s, data.run);
      return Promise.resolve();
    }
    return loadBokeh().then(function (Bokeh) {
      clearPlot(fig);
      layer.hidden = false;
      return Bokeh.embed.embed_item(data.item, layer).then(function (views) {
        s.views = views;
        s.doc = views.roots.length ? views.roots[0].model.document : null;
        markDrawn(fig, s, data.run);
      });
    });
  }

  function clearPlot(fig) {
    var s = state[fig.id];
    if (!s) { return; }
    if (s.views) { s.views.roots.forEach(function (view) { view.remove(); }); }
    if (s.doc) { s.doc.clear(); }
    s.views = null;
    s.doc = null;
    s.inked = null;
    var layer = $(fig, ".lm-figure-live-layer");
    if (layer) { layer.textContent = ""; }
  }

  function load(fig, url, token) {
    var s = state[fig.id];
    fetch(withQuery(url, { v: config.version }), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("The figure could not be loaded (HTTP " + response.status + ")."); }
        return response.json();
      })
      .then(function (data) {
        if (s.token !== token) { return null; } // the reader switched meanwhile
        if (data.status === "queued" || data.status === "running") {
          setStatus(fig, "active", data.progress, (data.status === "queued" ? "Waiting for a worker" : "Computing") +
            (data.message ? ": " + data.message : "") + ". The figure appears when the run finishes.");
          window.setTimeout(function () { if (s.token === token && !s.gone) { load(fig, url, token); } }, POLL_MS);
          return null;
        }
        if (data.status === "succeeded" && data.item) { return draw(fig, data); }
        if (data.replacement_figure) { return load(fig, data.replacement_figure, token); }
        setStatus(fig, "failed", 0, "This run " + data.status + ": " + (data.error || data.message || "no reason recorded") + ".");
        return null;
      })
      .catch(function (error) {
        if (s.token === token) { setStatus(fig, "failed", 0, String(error.message || error)); }
      });
  }

  // Show the selected point: its image at once, and the interactive figure when active.
  function show(fig) {
    var s = state[fig.id];
    var index = chosenIndex(fig, s);
    var point = s.points[index];
    s.shown = index;
    updateLinks(fig, point);
    var img = $(fig, "img.lm-figure-image");
    if (img && point.image && !s.doc && img.getAttribute("src") !== imageUrl(point)) { img.setAttribute("src", imageUrl(point)); }
    if (!s.active) { return; }
    s.token = (s.token || 0) + 1;
    fig.setAttribute("data-drawn", "false");
    if (!point.figure) {
      setStatus(fig, "failed", 0, "This setting has not been computed yet.");
      return;
    }
    if (!s.doc) { setStatus(fig, "active", 0, "Loading the interactive figure…"); }
    load(fig, point.figure, s.token);
  }

  // The image is painted before BokehJS (a megabyte of script to compile) may take the main thread.
  function imageShown(fig) {
    var img = $(fig, "img.lm-figure-image");
    return new Promise(function (resolve) {
      if (!img || img.complete) { resolve(); return; }
      img.addEventListener("load", resolve, { once: true });
      img.addEventListener("error", resolve, { once: true });
    }).then(function () {
      return new Promise(function (resolve) {
        window.requestAnimationFrame(function () { window.setTimeout(resolve, 0); });
      });
    });
  }

  function activate(fig) {
    var s = state[fig.id];
    if (!s || s.active) { return; }
    s.active = true;
    if (observer) { observer.unobserve(fig); }
    imageShown(fig).then(function () {
      if (s.gone) { return; }
      loadBokeh().catch(function (error) { setStatus(fig, "failed", 0, String(error.message || error)); });
      show(fig);
    });
  }

  function onNear(entries) {
    entries.forEach(function (entry) { if (entry.isIntersecting) { activate(entry.target); } });
  }

  function setup(fig) {
    if (fig.lmSetUp || !fig.id) { return; }
    var points;
    try { points = JSON.parse(fig.getAttribute("data-points") || "[]"); } catch (e) { points = []; }
    if (!points.length) { return; }
    fig.lmSetUp = true;
    var defaultIndex = Math.min(points.length - 1, Math.max(0, parseInt(fig.getAttribute("data-default") || "0", 10) || 0));
    state[fig.id] = { points: points, defaultIndex: defaultIndex, shown: defaultIndex, active: false, doc: null, views: null };
    var controls = $(fig, ".lm-figure-controls");
    if (controls) { controls.hidden = false; }
    fig.querySelectorAll("select[data-grid-key]").forEach(function (select) {
      select.addEventListener("change", function () { show(fig); activate(fig); });
    });
    var toggle = $(fig, "input[data-theory-toggle]");
    if (toggle) { toggle.addEventListener("change", function () { activate(fig); applyTheory(fig); }); }
    // Any sign of interest makes the figure interactive before it scrolls near.
    ["pointerenter", "focusin", "touchstart"].forEach(function (type) {
      fig.addEventListener(type, function () { activate(fig); }, { passive: true, once: true });
    });
    retintImages(fig.parentNode || document);
    if (observer) { observer.observe(fig); } else { activate(fig); }
  }

  function init(root) {
    (root || document).querySelectorAll("figure.lm-figure-live[data-points]").forEach(setup);
  }

  function dispose(root) {
    var selector = "figure.lm-figure-live[data-points]";
    root = root || document;
    var figures = root.matches && root.matches(selector) ? [root] : Array.prototype.slice.call(root.querySelectorAll(selector));
    figures.forEach(function (fig) {
      var s = state[fig.id];
      if (observer) { observer.unobserve(fig); }
      if (s) { s.gone = true; clearPlot(fig); delete state[fig.id]; }
      fig.lmSetUp = false;
    });
  }

  window.lmFigures = { state: state, init: init, dispose: dispose, activate: activate };
  document.addEventListener("lm:themechange", onThemeChange);
  // Paper gets the light image (figures.css hides the canvas in print).
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("figure.lm-figure-live img.lm-figure-image").forEach(function (img) {
      img.setAttribute("data-screen-src", img.getAttribute("src"));
      var bare = img.getAttribute("src").replace(/[?&]theme=[a-z]+/, "");
      img.setAttribute("src", withQuery(bare, { theme: "light" }));
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("figure.lm-figure-live img[data-screen-src]").forEach(function (img) {
      img.setAttribute("src", img.getAttribute("data-screen-src"));
      img.removeAttribute("data-screen-src");
    });
  });
  if (window.matchMedia) {
    var query = window.matchMedia("(prefers-color-scheme: dark)");
    if (query.addEventListener) { query.addEventListener("change", function () { if (!pageMode()) { onThemeChange(); } }); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { init(document); }); } else { init(document); }
})();

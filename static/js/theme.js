// Light or dark, decided before the first paint: loaded synchronously at the top of <head>
// (the CSP allows no inline script). The reader's choice is kept in localStorage; without
// one the page follows prefers-color-scheme, live. Whenever the theme changes, <html> gets
// data-theme="light|dark" and document receives an "lm:themechange" event ({detail: {theme}}),
// which figures listen to. window.lmTheme.get() / .set("light"|"dark"|null) for other scripts.
(function () {
  "use strict";
  var KEY = "lm-theme";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (e) {
      return null; // storage disabled: follow the system
    }
  }
  function preferred() { return stored() || (media && media.matches ? "dark" : "light"); }
  function apply(theme) {
    if (root.getAttribute("data-theme") === theme) return;
    root.setAttribute("data-theme", theme);
    document.dispatchEvent(new CustomEvent("lm:themechange", { detail: { theme: theme } }));
  }

  root.classList.add("js");
  apply(preferred());
  if (media) {
    var follow = function () { if (!stored()) apply(preferred()); };
    if (media.addEventListener) media.addEventListener("change", follow);
    else if (media.addListener) media.addListener(follow);
  }
  // Another tab changed the choice.
  window.addEventListener("storage", function (event) { if (event.key === KEY) apply(preferred()); });

  window.lmTheme = {
    get: function () { return root.getAttribute("data-theme") || preferred(); },
    set: function (theme) {
      try {
        if (theme) window.localStorage.setItem(KEY, theme);
        else window.localStorage.removeItem(KEY);
      } catch (e) { /* not remembered, still applied */ }
      apply(theme || preferred());
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    function show() {
      var dark = root.getAttribute("data-theme") === "dark";
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.title = dark ? "Dark mode is on: switch to light" : "Switch to dark mode";
    }
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      window.lmTheme.set(root.getAttribute("data-theme") === "dark" ? "light" : "dark");
    });
    document.addEventListener("lm:themechange", show);
  });
})();

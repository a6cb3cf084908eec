// Starts Swagger UI on /api/v1/docs/ from a static file, so the page needs no inline script under the CSP.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("swagger-ui");
    if (!holder || typeof window.SwaggerUIBundle !== "function") return;
    var csrf = holder.getAttribute("data-csrf-token") || "";
    window.SwaggerUIBundle({
      url: holder.getAttribute("data-schema-url"),
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
      layout: "BaseLayout",
      // "Try it out" while signed in on the site sends the session cookie; writes then need the CSRF token.
      requestInterceptor: function (request) {
        var method = (request.method || "GET").toUpperCase();
        if (csrf && ["GET", "HEAD", "OPTIONS"].indexOf(method) === -1) {
          request.headers["X-CSRFToken"] = csrf;
        }
        return request;
      },
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

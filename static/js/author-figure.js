// Draws an author experiment's figure: the server builds the Bokeh JSON item
// from the declarative spec (trusted code); this only embeds it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var nodes = document.querySelectorAll("[data-figure-url]");
    Array.prototype.forEach.call(nodes, function (node, i) {
      if (!node.id) node.id = "author-figure-" + i;
      fetch(node.getAttribute("data-figure-url"), {credentials: "same-origin"})
        .then(function (response) {
          return response.json().then(function (data) { return {ok: response.ok, data: data}; });
        })
        .then(function (reply) {
          if (!reply.ok) { node.textContent = reply.data.error || "The figure could not be drawn."; return; }
          if (!window.Bokeh) { node.textContent = "The plotting library did not load."; return; }
          window.Bokeh.embed.embed_item(reply.data, node.id);
        })
        .catch(function () { node.textContent = "The figure could not be loaded."; });
    });
  });
})();

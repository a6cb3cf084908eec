// Quote a post into the reply box without a page load; the link still works without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("reply-form");
  if (!form) { return; }
  var body = form.querySelector("textarea[name=body]");
  var replyTo = form.querySelector("input[name=reply_to]");
  var note = document.getElementById("replying-to");
  document.querySelectorAll("a.quote-link").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var post = document.getElementById("post-" + link.dataset.post);
      var source = post && post.querySelector("template.post-source");
      if (!source || !body) { return; }
      event.preventDefault();
      var text = source.content.textContent || source.innerHTML;
      var quoted = text.split("\n").map(function (line) { return "> " + line; }).join("\n");
      var who = link.dataset.author ? "@" + link.dataset.author + " wrote:\n" : "";
      body.value = (body.value ? body.value + "\n\n" : "") + who + quoted + "\n\n";
      if (replyTo) { replyTo.value = link.dataset.post; }
      if (note) { note.hidden = false; note.textContent = "Replying to post " + link.dataset.post + "."; }
      body.focus();
    });
  });
})();

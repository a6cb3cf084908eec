// Reading affordances for rendered articles (templates/perspectives/article_detail.html and
// friends): the table of contents marks the section being read; footnotes become sidenotes
// (in the margin on wide screens, toggles under the line on narrow ones); citations,
// footnotes, equations, figures and links to articles and open questions show a preview
// on hover or keyboard focus; copying math copies its TeX; a formula wider than the
// column can be scrolled with the keyboard. Everything degrades to plain links.
(function () {
  "use strict";
  var WIDE = window.matchMedia("(min-width: 1200px)");
  var bodies = Array.prototype.slice.call(document.querySelectorAll(".article-body"));

  // --- Table of contents -------------------------------------------------------------------
  function setupToc() {
    var toc = document.querySelector(".toc");
    if (!toc) return;
    var details = toc.querySelector("details");
    var links = Array.prototype.slice.call(toc.querySelectorAll("a[href^='#']"));
    function openWhenWide() { if (details && WIDE.matches) details.open = true; }
    openWhenWide();
    WIDE.addEventListener("change", openWhenWide);
    links.forEach(function (a) {
      a.addEventListener("click", function () { if (details && !WIDE.matches) details.open = false; });
    });
    var headings = links
      .map(function (a) { return document.getElementById(decodeURIComponent(a.hash.slice(1))); })
      .filter(Boolean);
    if (!headings.length || !("IntersectionObserver" in window)) return;
    function mark() {
      // The current section: the last heading above the upper third of the viewport.
      var line = window.innerHeight / 3;
      var current = null;
      headings.forEach(function (h) { if (h.getBoundingClientRect().top <= line) current = h; });
      links.forEach(function (a) {
        if (current && a.hash === "#" + current.id) a.setAttribute("aria-current", "location");
        else a.removeAttribute("aria-current");
      });
    }
    var pending = false;
    window.addEventListener("scroll", function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; mark(); });
    }, { passive: true });
    mark();
  }

  // --- Sidenotes -----------------------------------------------------------------------------
  function noteContent(item, number) {
    var note = document.createElement("span");
    var label = document.createElement("span");
    label.className = "sidenote-number";
    label.textContent = number + ".";
    note.appendChild(label);
    Array.prototype.forEach.call(item.childNodes, function (child) {
      var copy = child.cloneNode(true);
      if (copy.nodeType !== 1) { if (copy.textContent.trim()) note.appendChild(copy); return; }
      copy.querySelectorAll(".footnote-backref").forEach(function (b) { b.remove(); });
      copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
      if (copy.tagName === "P") {
        var para = document.createElement("span");
        para.className = "sidenote-para";
        while (copy.firstChild) para.appendChild(copy.firstChild);
        note.appendChild(para);
      } else {
        note.appendChild(copy);
      }
    });
    return note;
  }

  function setupSidenotes(body) {
    var refs = body.querySelectorAll("a.footnote-ref[href^='#']");
    if (!refs.length) return;
    Array.prototype.forEach.call(refs, function (ref, i) {
      var target = document.getElementById(decodeURIComponent(ref.hash.slice(1)));
      if (!target) return;
      var sup = ref.closest("sup") || ref;
      var note = noteContent(target, ref.textContent.trim() || String(i + 1));
      note.className = "sidenote";
      note.id = "sidenote-" + (sup.id || i + 1);
      note.setAttribute("role", "note");
      sup.insertAdjacentElement("afterend", note);
      ref.setAttribute("aria-controls", note.id);
      ref.setAttribute("aria-expanded", "false");
      ref.addEventListener("click", function (event) {
        event.preventDefault();
        if (WIDE.matches) {
          note.classList.add("flash");
          window.setTimeout(function () { note.classList.remove("flash"); }, 1200);
          return;
        }
        var open = !note.classList.contains("open");
        note.classList.toggle("open", open);
        ref.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
    body.classList.add("has-sidenotes");
  }

  // --- Previews ------------------------------------------------------------------------------
  var preview = null;
  var previewFor = null;
  var hideTimer = 0;
  var pageCache = {};

  function previewBox() {
    if (preview) return preview;
    preview = document.createElement("div");
    preview.className = "lm-preview";
    preview.id = "lm-preview";
    preview.setAttribute("role", "tooltip");
    preview.hidden = true;
    preview.addEventListener("mouseenter", function () { window.clearTimeout(hideTimer); });
    preview.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(preview);
    return preview;
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function stripped(node) {
    var copy = node.cloneNode(true);
    copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    copy.querySelectorAll(".footnote-backref, .ref-backlinks, .headerlink, .sidenote").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("a").forEach(function (a) { a.setAttribute("tabindex", "-1"); });
    return copy;
  }

  // What a same-page link points at, as preview content; null when it is nothing we preview.
  function localContent(hash) {
    var id = decodeURIComponent(hash.slice(1));
    var target = document.getElementById(id);
    if (!target) return null;
    var box = document.createDocumentFragment();
    if (/^(?:.*-)?ref-/.test(id) && target.tagName === "LI") {
      box.appendChild(element("span", "preview-kind", "Reference"));
      box.appendChild(wrap(stripped(target)));
    } else if (/^(?:.*-)?fn-/.test(id) && target.tagName === "LI") {
      box.appendChild(element("span", "preview-kind", "Note"));
      box.appendChild(wrap(stripped(target)));
    } else if (target.classList.contains("math-display")) {
      box.appendChild(element("span", "preview-kind", "Equation"));
      box.appendChild(stripped(target));
    } else if (target.classList.contains("figure-anchor")) {
      var caption = target.querySelector("figcaption");
      var image = target.querySelector("img");
      box.appendChild(element("span", "preview-kind", "Figure"));
      if (image) box.appendChild(stripped(image));
      if (caption) box.appendChild(wrap(stripped(caption)));
    } else {
      return null;
    }
    return box;
  }

  function wrap(node) {
    var div = document.createElement("div");
    while (node.firstChild) div.appendChild(node.firstChild);
    return div;
  }

  // Articles and open questions on this site: their title and summary, from the API.
  var PAGE_RE = /^\/(perspectives|questions)\/([A-Za-z0-9_-]+)\/(?:v\d+\/)?$/;
  function remoteContent(link) {
    if (link.origin !== window.location.origin) return null;
    var m = PAGE_RE.exec(link.pathname);
    if (!m || m[2] === "feed" || (m[1] === "questions" && !/^\d+$/.test(m[2]))) return null;
    var api = "/api/v1/" + m[1] + "/" + m[2] + "/";
    if (!pageCache[api]) {
      pageCache[api] = window.fetch(api, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          var box = document.createDocumentFragment();
          var kind = m[1] === "questions" ? "Open question " + data.number : (data.kind || "article");
          box.appendChild(element("span", "preview-kind", kind));
          box.appendChild(element("span", "preview-title", data.title || ""));
          box.appendChild(element("p", "", data.summary || data.statement || ""));
          return box;
        });
    }
    return pageCache[api];
  }

  function place(link) {
    var box = previewBox();
    var r = link.getBoundingClientRect();
    var width = box.offsetWidth;
    var left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    var below = r.bottom + window.scrollY + 6;
    var above = r.top + window.scrollY - box.offsetHeight - 6;
    var fitsBelow = r.bottom + box.offsetHeight + 12 < window.innerHeight;
    box.style.left = left + "px";
    box.style.top = (fitsBelow || above < window.scrollY ? below : above) + "px";
  }

  function show(link, content) {
    var box = previewBox();
    box.textContent = "";
    box.appendChild(content);
    box.hidden = false;
    place(link);
    link.setAttribute("aria-describedby", "lm-preview");
  }

  function hide() {
    if (!preview) return;
    preview.hidden = true;
    if (previewFor) previewFor.removeAttribute("aria-describedby");
    previewFor = null;
  }

  function scheduleHide() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(hide, 250);
  }

  function open(link) {
    window.clearTimeout(hideTimer);
    if (previewFor === link) return;
    var isLocal = link.getAttribute("href").charAt(0) === "#";
    var content = isLocal ? localContent(link.hash) : remoteContent(link);
    if (!content) return;
    hide();
    previewFor = link;
    if (content.then) {
      content.then(function (fragment) {
        if (previewFor === link) show(link, fragment.cloneNode(true));
      }).catch(function () { /* no preview; the link still works */ });
    } else {
      show(link, content);
    }
  }

  function previewable(el) {
    if (!el || !el.closest) return null;
    var link = el.closest("a[href]");
    if (!link || link.closest(".lm-preview, .toc, .sidenote")) return null;
    if (!link.closest(".article-body")) return null;
    if (link.classList.contains("footnote-backref") || link.classList.contains("headerlink")) return null;
    if (link.classList.contains("ref-backlink")) return null;
    if (link.classList.contains("footnote-ref") && document.querySelector(".has-sidenotes")) return null;
    return link;
  }

  function setupPreviews() {
    document.addEventListener("mouseover", function (event) {
      var link = previewable(event.target);
      if (link) open(link);
    });
    document.addEventListener("mouseout", function (event) {
      if (previewable(event.target)) scheduleHide();
    });
    document.addEventListener("focusin", function (event) {
      var link = previewable(event.target);
      if (link) open(link);
      else if (!(preview && preview.contains(event.target))) hide();
    });
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") hide(); });
    window.addEventListener("resize", hide);
  }

  // --- Copying math gives its TeX ------------------------------------------------------------
  function texOf(math) {
    var annotation = math.querySelector("annotation[encoding='application/x-tex']");
    if (!annotation) return null;
    var display = math.getAttribute("display") === "block";
    return display ? "$$" + annotation.textContent + "$$" : "$" + annotation.textContent + "$";
  }

  function setupCopy() {
    document.addEventListener("copy", function (event) {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed || !event.clipboardData) return;
      var range = selection.getRangeAt(0);
      // A selection that starts or ends inside a formula takes the whole formula.
      var start = range.startContainer.parentElement && range.startContainer.parentElement.closest("math");
      var end = range.endContainer.parentElement && range.endContainer.parentElement.closest("math");
      if (start) range.setStartBefore(start);
      if (end) range.setEndAfter(end);
      var fragment = range.cloneContents();
      var maths = fragment.querySelectorAll("math");
      if (!maths.length) return;
      var holder = document.createElement("div");
      holder.className = "visually-hidden";
      holder.appendChild(fragment);
      var html = holder.innerHTML;
      holder.querySelectorAll("math").forEach(function (math) {
        var tex = texOf(math);
        if (tex !== null) math.replaceWith(document.createTextNode(tex));
      });
      holder.querySelectorAll(".eq-number, .sidenote, .headerlink").forEach(function (el) { el.remove(); });
      document.body.appendChild(holder);
      var text = holder.innerText;
      holder.remove();
      event.clipboardData.setData("text/plain", text);
      event.clipboardData.setData("text/html", html);
      event.preventDefault();
    });
  }

  // --- Wide formulas scroll in their own box, reachable by keyboard --------------------------
  function setupScrollBoxes() {
    function check() {
      Array.prototype.forEach.call(document.querySelectorAll(".math-display"), function (box) {
        if (box.scrollWidth > box.clientWidth + 1) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "group");
          box.setAttribute("aria-label", "Equation, wider than the page: scroll sideways");
        } else if (box.getAttribute("tabindex") === "0") {
          box.removeAttribute("tabindex");
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
      });
    }
    check();
    window.addEventListener("resize", check);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(check);
    // Text rendered after load (the editor's live preview) gets the same treatment.
    var queued = false;
    new MutationObserver(function () {
      if (queued) return;
      queued = true;
      window.requestAnimationFrame(function () { queued = false; check(); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  setupToc();
  bodies.forEach(setupSidenotes);
  setupPreviews();
  setupCopy();
  setupScrollBoxes();
})();

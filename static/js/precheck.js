// The submission form's pre-check while writing: a length counter under each section and,
// 600 ms after the last keystroke, the findings of proposals:precheck (the same function that
// runs at submission). Loaded as a file (CSP: no inline scripts); the page works without it.
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  var panel = document.getElementById("precheck");
  if (!form || !panel) return;
  var results = panel.querySelector(".precheck-results");
  // the texts come from the page (data-text-* on #precheck, rendered through the catalogue)
  var texts = panel.dataset;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  var timer = null;
  var pending = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function counter(area) {
    var node = el("small", "counter");
    node.setAttribute("aria-live", "off");
    area.insertAdjacentElement("afterend", node);
    function update() {
      var n = area.value.trim().length;
      var max = parseInt(area.dataset.max || "0", 10);
      var min = parseInt(area.dataset.min || "0", 10);
      // the limits themselves are in the field's help text (rendered without the script)
      var short = min && n > 0 && n < min;
      var long = max && n > max;
      var text = fill(texts.textWritten, { n: n });
      if (short) text = fill(texts.textShort, { n: n, short: min - n });
      if (long) text = fill(texts.textLong, { n: n, over: n - max });
      node.textContent = text;
      node.classList.toggle("over", Boolean(short || long));
    }
    area.addEventListener("input", update);
    update();
  }

  function list(title, items, cls) {
    var box = el("div", cls);
    var p = el("p");
    p.appendChild(el("strong", "", title));
    box.appendChild(p);
    var ul = el("ul");
    items.forEach(function (item) { ul.appendChild(el("li", "", item.message)); });
    box.appendChild(ul);
    return box;
  }

  function similar(items, token) {
    var box = el("div", "similar");
    var p = el("p");
    p.appendChild(el("strong", "", texts.textSimilar));
    box.appendChild(p);
    var ul = el("ul", "plain");
    items.forEach(function (item) {
      var li = el("li");
      if (item.url) {
        var a = el("a", "", item.title);
        a.href = item.url;
        li.appendChild(a);
      } else {
        li.appendChild(document.createTextNode(item.title));
      }
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "muted", [item.number, item.meeting, item.status].filter(Boolean).join(" · ")));
      item.reply_urls.forEach(function (url) {
        var r = el("a", "", texts.textReply);
        r.href = url;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(r);
      });
      if (item.can_join && item.join_url) {
        var f = el("form", "inline");
        f.method = "post";
        f.action = item.join_url;
        var t = el("input");
        t.type = "hidden"; t.name = "csrfmiddlewaretoken"; t.value = token;
        var b = el("button", "link", texts.textJoin);
        b.type = "submit"; b.name = "answer"; b.value = "confirm";
        f.appendChild(t); f.appendChild(b);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(f);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  }

  function show(data) {
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    results.textContent = "";
    if (data.error) { results.appendChild(el("p", "muted", data.error)); return; }
    if (data.errors.length) {
      var errors = list(texts.textErrors, data.errors, "errors");
      results.appendChild(errors);
    }
    if (data.warnings.length) results.appendChild(list(texts.textWarnings, data.warnings, "warnings"));
    if (data.similar.length) results.appendChild(similar(data.similar, token));
    if (!data.errors.length && !data.warnings.length) {
      results.appendChild(el("p", "muted", texts.textClean));
    }
  }

  function run() {
    var body = new FormData(form);
    body.delete("attachments");
    if (form.dataset.proposal) body.append("proposal", form.dataset.proposal);
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.precheckUrl, {
      method: "POST", body: body, credentials: "same-origin", signal: pending.signal,
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) { return response.json(); })
      .then(show)
      .catch(function () { /* offline or aborted: the check runs again at submission */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, 600);
  }

  form.querySelectorAll("textarea[data-section]").forEach(counter);
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  if (form.querySelector("textarea[data-section]").value || (form.querySelector("[name=title]") || {}).value) {
    run();
  }
})();

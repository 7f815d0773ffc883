// The submission form's pre-check while writing: a length counter under each section and,
// 600 ms after the last keystroke, the findings of proposals:precheck (the same function that
// runs at submission). Loaded as a file (CSP: no inline scripts); the page works without it.
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  var panel = document.getElementById("precheck");
  if (!form || !panel) return;
  var results = panel.querySelector(".precheck-results");
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
      var text = "已写 " + n + " 字";
      var short = min && n > 0 && n < min;
      var long = max && n > max;
      if (short) text += "，还差 " + (min - n) + " 字";
      if (long) text += "，超出 " + (n - max) + " 字";
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
    p.appendChild(el("strong", "", "相似的建议提案"));
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
        var r = el("a", "", "查看答复");
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
        var b = el("button", "link", "加入联名");
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
      var errors = list("须修改后才能提交", data.errors, "errors");
      results.appendChild(errors);
    }
    if (data.warnings.length) results.appendChild(list("提示（不影响提交）", data.warnings, "warnings"));
    if (data.similar.length) results.appendChild(similar(data.similar, token));
    if (!data.errors.length && !data.warnings.length) {
      results.appendChild(el("p", "muted", "提交前检查：未发现问题。"));
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

// The stack page: tabs (arrow keys, no reload), the topology (static/topology.js), and
// the live stream (server-sent events): events, resource statuses and the stack's status.
(function () {
  "use strict";
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));

  function select(tab, focus) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) tab.focus();
    history.replaceState(null, "", "?tab=" + tab.id.replace("tab-", ""));
  }

  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function (e) { e.preventDefault(); select(tab, false); });
    tab.addEventListener("keydown", function (e) {
      var next = null;
      if (e.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      else if (e.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      else if (e.key === "Home") next = tabs[0];
      else if (e.key === "End") next = tabs[tabs.length - 1];
      if (next) { e.preventDefault(); select(next, true); }
    });
  });

  function statusClass(s) {
    s = s || "";
    if (/_COMPLETE$/.test(s) || s === "ACTIVE") return "ok";
    if (/_IN_PROGRESS$/.test(s)) return "busy";
    if (/_FAILED$/.test(s) || s === "DOWN" || s === "ERROR") return "bad";
    return "idle";
  }

  function badge(el, status) {
    el.textContent = status || "";
    el.className = "badge " + statusClass(status);
    el.setAttribute("data-status", status || "");
  }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    return td;
  }

  var box = document.getElementById("topology");
  if (box && window.crossheatTopology) {
    window.crossheatTopology.mount(box, { dataUrl: box.dataset.url, streamUrl: box.dataset.stream });
  }
  if (!box || !window.EventSource) return;

  var source = new EventSource(box.dataset.stream);
  var lastStatus = document.getElementById("stack-status").getAttribute("data-status");

  function refreshOutputs() {
    // Once, when an operation ends: its outputs are known only then.
    var panel = document.getElementById("panel-outputs");
    fetch(panel.dataset.url, { credentials: "same-origin" }).then(function (answer) {
      return answer.ok ? answer.text() : null;
    }).then(function (html) {
      if (html !== null) panel.innerHTML = html;
    });
  }

  source.addEventListener("stack", function (e) {
    var data = JSON.parse(e.data);
    var ended = /_IN_PROGRESS$/.test(lastStatus || "") && !/_IN_PROGRESS$/.test(data.status);
    lastStatus = data.status;
    if (ended) refreshOutputs();
    badge(document.getElementById("stack-status"), data.status);
    document.getElementById("stack-reason").textContent = data.status_reason || "";
    var cancel = document.getElementById("action-cancel");
    if (cancel) cancel.disabled = !/_IN_PROGRESS$/.test(data.status);
  });
  source.addEventListener("resource", function (e) {
    var data = JSON.parse(e.data);
    var body = document.querySelector("#resources tbody");
    var row = body.querySelector('tr[data-resource="' + CSS.escape(data.name) + '"]');
    if (!row) {
      var empty = body.querySelector("tr.empty");
      if (empty) empty.remove();
      row = document.createElement("tr");
      row.setAttribute("data-resource", data.name);
      [data.name, "", data.region, "", "", ""].forEach(function (t) { row.appendChild(cell(t)); });
      row.children[3].appendChild(document.createElement("span"));
      body.appendChild(row);
    }
    row.children[2].textContent = data.region || "";
    var span = row.children[3].querySelector("span") || row.children[3].appendChild(document.createElement("span"));
    badge(span, data.status);
    row.children[4].textContent = data.status_reason || "";
  });
  source.addEventListener("event", function (e) {
    var data = JSON.parse(e.data);
    var body = document.querySelector("#events tbody");
    if (body.querySelector('tr[data-event="' + CSS.escape(String(data.id)) + '"]')) return;
    var row = document.createElement("tr");
    row.setAttribute("data-event", data.id);
    row.appendChild(cell(data.event_time));
    row.appendChild(cell(data.resource_name));
    row.appendChild(cell(data.region));
    var td = document.createElement("td");
    var span = document.createElement("span");
    badge(span, data.resource_status);
    td.appendChild(span);
    row.appendChild(td);
    row.appendChild(cell(data.resource_status_reason));
    body.insertBefore(row, body.firstChild);
  });
})();

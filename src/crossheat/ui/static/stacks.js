// The stacks list follows its stacks' statuses over one server-sent event stream (no
// polling in the page): each row's badge changes in place; a stack launched elsewhere
// shows a notice to reload the list.
(function () {
  "use strict";
  if (!window.EventSource) return;

  function statusClass(s) {
    s = s || "";
    if (/_COMPLETE$/.test(s)) return "ok";
    if (/_IN_PROGRESS$/.test(s)) return "busy";
    if (/_FAILED$/.test(s)) return "bad";
    return "idle";
  }

  var source = new EventSource("/dashboard/stacks-stream");
  source.addEventListener("stack", function (e) {
    var data = JSON.parse(e.data);
    var row = document.querySelector('tr[data-stack-id="' + CSS.escape(data.id) + '"]');
    if (!row) {
      if (data.status !== "DELETE_COMPLETE") document.getElementById("list-notice").hidden = false;
      return;
    }
    var badge = row.querySelector(".badge");
    badge.textContent = data.status;
    badge.className = "badge " + statusClass(data.status);
    badge.setAttribute("data-status", data.status);
    badge.title = data.status_reason || "";
  });
})();

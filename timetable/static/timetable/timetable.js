// Timetable pages (CSP: no inline scripts). Drag a lesson to another cell — or tap it, then tap the target cell —
// and the server answers with the re-checked grid (clashes in red with the reasons).
(function () {
  var selected = null;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function state() {
    var box = document.getElementById("tt-grid-state");
    var out = {};
    if (box) box.querySelectorAll("input").forEach(function (i) { out[i.name] = i.value; });
    return out;
  }

  function move(item, cell) {
    if (!item || !cell) return;
    var values = state();
    values.day = cell.getAttribute("data-day");
    values.period = cell.getAttribute("data-period");
    selected = null;
    htmx.ajax("POST", item.getAttribute("data-move-url"), {
      target: "#tt-grid", swap: "outerHTML", values: values, headers: { "X-CSRFToken": csrf() },
    });
  }

  document.addEventListener("dragstart", function (ev) {
    var item = ev.target.closest && ev.target.closest(".tt-editable .tt-item[draggable=true]");
    if (!item) return;
    selected = item;
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", item.getAttribute("data-entry"));
  });
  document.addEventListener("dragover", function (ev) {
    var cell = ev.target.closest && ev.target.closest(".tt-editable .tt-cell");
    if (cell && selected) { ev.preventDefault(); cell.classList.add("tt-over"); }
  });
  document.addEventListener("dragleave", function (ev) {
    var cell = ev.target.closest && ev.target.closest(".tt-cell");
    if (cell) cell.classList.remove("tt-over");
  });
  document.addEventListener("drop", function (ev) {
    var cell = ev.target.closest && ev.target.closest(".tt-editable .tt-cell");
    if (!cell || !selected) return;
    ev.preventDefault();
    cell.classList.remove("tt-over");
    move(selected, cell);
  });
  document.addEventListener("click", function (ev) {
    if (ev.target.closest(".tt-lock")) return;
    var grid = ev.target.closest(".tt-editable");
    if (!grid) return;
    var item = ev.target.closest(".tt-item[draggable=true]");
    var cell = ev.target.closest(".tt-cell");
    if (item && !selected) {
      selected = item;
      item.classList.add("tt-selected");
      return;
    }
    if (item && selected === item) {
      item.classList.remove("tt-selected");
      selected = null;
      return;
    }
    if (selected && cell) move(selected, cell);
  });
  // selects that switch the view on change
  document.addEventListener("change", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("tt-autosubmit") && ev.target.form) ev.target.form.submit();
  });
})();

// 家校互动 behaviours (CSP: no inline scripts).
// Attendance: a tap on a student cycles present → 迟到 → 早退 → 缺勤 → 请假 → present; the hidden input carries
// the kind to the form and the summary line is recounted.
(function () {
  var cycleEl = document.getElementById("zx-att-cycle");
  var cycle = cycleEl ? JSON.parse(cycleEl.textContent) : [];
  function recount(form) {
    var counts = { late: 0, early: 0, absent: 0, leave: 0 };
    var tiles = form.querySelectorAll(".zx-att");
    tiles.forEach(function (t) { if (counts[t.dataset.kind] !== undefined) counts[t.dataset.kind] += 1; });
    Object.keys(counts).forEach(function (k) {
      var el = form.querySelector('[data-count="' + k + '"]');
      if (el) el.textContent = counts[k];
    });
    var present = form.querySelector('[data-count="present"]');
    if (present) present.textContent = tiles.length - counts.absent - counts.leave;
  }
  document.addEventListener("click", function (ev) {
    var tile = ev.target.closest(".zx-att");
    if (tile && !tile.disabled && cycle.length) {
      var i = cycle.findIndex(function (c) { return c.kind === tile.dataset.kind; });
      var next = cycle[(i + 1) % cycle.length];
      tile.dataset.kind = next.kind;
      tile.querySelector("input").value = next.kind;
      tile.querySelector(".zx-att-kind").textContent = next.label;
      recount(tile.closest("form"));
      return;
    }
    if (ev.target.closest("[data-zx-print]")) window.print();
  });
})();

// Small behaviours without inline scripts (CSP: script-src 'self').
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-copy]");
  if (btn) {
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (el && navigator.clipboard) { navigator.clipboard.writeText(el.textContent.trim()); btn.textContent = "已复制"; }
  }
  var confirmBtn = ev.target.closest("[data-confirm]");
  if (confirmBtn && !window.confirm(confirmBtn.getAttribute("data-confirm"))) { ev.preventDefault(); }
});

function zxCharts() {
  if (!window.echarts) return;
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    if (el.dataset.rendered) return;
    var data = JSON.parse(document.getElementById(el.getAttribute("data-chart")).textContent);
    var hasData = data.series
      ? data.series.some(function (s) { return s.values && s.values.length; })
      : data.values && data.values.length;
    if (!hasData) {
      el.classList.add("zx-chart-empty");
      el.textContent = data.empty || "暂无数据";
      el.dataset.rendered = "1";
      return;
    }
    // data: {name, labels, values} (one bar series) or {labels, series: [{name, values, type}], type, max, min}
    var colors = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545", "#20c997"];
    var series = (data.series || [{ name: data.name, values: data.values }]).map(function (s, i) {
      return { type: s.type || data.type || "bar", name: s.name, data: s.values, smooth: false,
               connectNulls: true, itemStyle: { color: colors[i % colors.length] } };
    });
    var yAxis = { type: "value" };
    if (data.integer !== false && !data.series) yAxis.minInterval = 1;
    if (data.max !== undefined) yAxis.max = data.max;
    if (data.min !== undefined) yAxis.min = data.min;
    var chart = echarts.init(el);
    chart.setOption({
      animationDuration: 250,
      tooltip: { trigger: "axis" },
      legend: series.length > 1 ? { top: 0 } : undefined,
      grid: { left: 8, right: 8, bottom: 8, top: series.length > 1 ? 32 : 24, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: yAxis,
      series: series,
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
}
document.addEventListener("DOMContentLoaded", zxCharts);
document.addEventListener("htmx:afterSettle", zxCharts);

// --- exams: score entry grid (exams/templates/exams/entry/grid.html) ---------------------------------------
// Cells are <input data-zx-cell> inside <table data-zx-grid>. Enter or ArrowDown moves to the next candidate's
// cell, Shift+Enter or ArrowUp to the previous one. Leaving a cell fires its "change" event, which htmx posts
// (autosave) and answers with the cell's new state. On the last cell Enter just leaves it, so it is saved too.
// Focusing a cell selects its text, so typing replaces the value.
document.addEventListener("keydown", function (ev) {
  var cell = ev.target.closest ? ev.target.closest("[data-zx-cell]") : null;
  if (!cell || ev.isComposing) return;  // isComposing: Enter that ends a Chinese IME composition stays there
  var step = 0;
  if (ev.key === "Enter") step = ev.shiftKey ? -1 : 1;
  else if (ev.key === "ArrowDown") step = 1;
  else if (ev.key === "ArrowUp") step = -1;
  if (!step) return;
  ev.preventDefault();
  var cells = Array.prototype.slice.call(cell.closest("[data-zx-grid]").querySelectorAll("[data-zx-cell]"));
  var next = cells[cells.indexOf(cell) + step];
  if (next) next.focus(); else cell.blur();
});
document.addEventListener("focusin", function (ev) {
  if (ev.target.matches && ev.target.matches("[data-zx-cell]")) ev.target.select();
});
// A form with data-zx-busy="正在导入…" (exams/templates/exams/manage/import.html) disables its submit button and
// shows that text while the server works, so a slow upload is not submitted twice.
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (!form.matches || !form.matches("[data-zx-busy]")) return;
  var btn = form.querySelector("button[type=submit]");
  if (btn) { btn.dataset.zxLabel = btn.innerHTML; btn.disabled = true; btn.textContent = form.getAttribute("data-zx-busy"); }
});
window.addEventListener("pageshow", function (ev) {  // back button (page cache): the form is usable again
  if (!ev.persisted) return;
  document.querySelectorAll("[data-zx-busy] button[type=submit][disabled]").forEach(function (b) {
    b.disabled = false;
    if (b.dataset.zxLabel) b.innerHTML = b.dataset.zxLabel;
  });
});
// Left menu: a group the user folds stays folded on the next pages (remembered in this browser), unless it
// holds the page being shown.
(function () {
  var KEY = "zx-menu-folded";
  var folded = {};
  try { folded = JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { folded = {}; }
  document.querySelectorAll("details[data-zx-menu-group]").forEach(function (d) {
    var name = d.getAttribute("data-zx-menu-group");
    if (folded[name] && !d.querySelector("a.active")) d.open = false;
    d.addEventListener("toggle", function () {
      if (d.open) delete folded[name]; else folded[name] = true;
      try { localStorage.setItem(KEY, JSON.stringify(folded)); } catch (e) { /* private mode: not remembered */ }
    });
  });
})();

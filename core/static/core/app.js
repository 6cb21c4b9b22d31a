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
    if (!data.values || data.values.length === 0) {
      el.classList.add("zx-chart-empty");
      el.textContent = data.empty || "暂无数据";
      el.dataset.rendered = "1";
      return;
    }
    var chart = echarts.init(el);
    chart.setOption({
      animationDuration: 250,
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 8, bottom: 8, top: 24, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", name: data.name, data: data.values, itemStyle: { color: "#0d6efd" } }],
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
}
document.addEventListener("DOMContentLoaded", zxCharts);
document.addEventListener("htmx:afterSettle", zxCharts);

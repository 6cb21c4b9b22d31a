// Prerequisite neighbourhood of a knowledge point (knowledge/templates/knowledge/detail.html).
// Data: {nodes: [{id, code, name, level, archived}], links: [{source, target}], center, url}.
// level < 0: prerequisites (learn first, on the left); 0: this point; > 0: points it unlocks (on the right).
// Positions are computed in pixels of the chart box; two invisible corner anchors make the data box equal to
// the chart box, so ECharts maps them 1:1 and circles stay circles.
(function () {
  function render(el) {
    if (!window.echarts || el.dataset.rendered) return;
    var data = JSON.parse(document.getElementById(el.getAttribute("data-kn-graph")).textContent);
    if (data.nodes.length < 2) {
      el.classList.add("zx-chart-empty", "d-flex", "align-items-center", "justify-content-center", "text-secondary", "small");
      el.style.height = "auto";
      el.textContent = el.getAttribute("data-empty") || "—";
      el.dataset.rendered = "1";
      return;
    }
    var columns = {};
    data.nodes.forEach(function (n) { (columns[n.level] = columns[n.level] || []).push(n); });
    var levels = Object.keys(columns).map(Number).sort(function (a, b) { return a - b; });
    var tallest = Math.max.apply(null, levels.map(function (k) { return columns[k].length; }));
    var narrow = el.clientWidth < 480;
    var rowH = narrow ? 44 : 50;
    var height = Math.max(narrow ? 220 : 260, tallest * rowH + 50);
    el.style.height = height + "px";
    var width = el.clientWidth;
    var padX = narrow ? 40 : 80;
    var usable = width - 2 * padX;
    var nodes = [];
    levels.forEach(function (level, ci) {
      var col = columns[level];
      var x = levels.length > 1 ? padX + ci * usable / (levels.length - 1) : width / 2;
      col.forEach(function (n, i) {
        var isCenter = n.id === data.center;
        nodes.push({
          id: String(n.id), name: n.name, value: n.code,
          x: x, y: (height - 24) / 2 + (i - (col.length - 1) / 2) * rowH,
          symbolSize: isCenter ? 22 : 14,
          itemStyle: { color: isCenter ? "#fd7e14" : (n.level < 0 ? "#0d6efd" : "#198754"), opacity: n.archived ? 0.4 : 1 },
          label: { show: true, position: "bottom", fontWeight: isCenter ? "bold" : "normal",
                   fontSize: narrow ? 10 : 12, width: narrow ? 64 : 120, overflow: "truncate" }
        });
      });
    });
    [[0, 0], [width, height]].forEach(function (p, i) {
      nodes.push({ id: "anchor" + i, name: "", x: p[0], y: p[1], symbolSize: 0, silent: true,
                   label: { show: false }, tooltip: { show: false } });
    });
    var links = data.links.map(function (l) { return { source: String(l.source), target: String(l.target) }; });
    var chart = echarts.init(el);
    chart.setOption({
      animationDuration: 250,
      tooltip: { formatter: function (p) { return p.dataType === "node" && p.data.value ? p.data.value + " " + p.data.name : ""; } },
      series: [{
        type: "graph", layout: "none", roam: true, data: nodes, links: links,
        left: 0, top: 0, width: width, height: height,
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8,
        lineStyle: { color: "#adb5bd", width: 1.5, curveness: 0.1 },
        emphasis: { focus: "adjacency" }
      }]
    });
    chart.on("click", function (p) {
      if (p.dataType === "node" && p.data.value && Number(p.data.id) !== data.center) {
        window.location.href = data.url.replace("/0/", "/" + p.data.id + "/");
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.rendered = "1";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-kn-graph]").forEach(render);
  });
})();

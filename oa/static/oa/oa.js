// 采购明细: live subtotals and total (the server computes the amount again on submit).
(function () {
  var rows = document.querySelectorAll("[data-oa-item]");
  if (!rows.length) return;
  function num(el) { var v = parseFloat((el.value || "").replace(/[,，]/g, "")); return isNaN(v) ? null : v; }
  function fmt(v) { return v.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
  function update() {
    var total = 0;
    rows.forEach(function (row) {
      var inputs = row.querySelectorAll("input");
      var q = num(inputs[1]), p = num(inputs[2]);
      var cell = row.querySelector("[data-oa-subtotal]");
      if (q !== null && p !== null) { total += q * p; cell.textContent = fmt(q * p); } else { cell.textContent = ""; }
    });
    document.querySelector("[data-oa-total]").textContent = "¥" + fmt(total);
  }
  document.addEventListener("input", function (ev) { if (ev.target.closest("[data-oa-item]")) update(); });
  update();
})();

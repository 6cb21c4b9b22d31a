// 通知正文的简易富文本编辑（无内联脚本，CSP script-src 'self'）。<textarea data-zx-richtext> 旁加一个可编辑区和
// 工具栏（加粗、斜体、下划线、小标题、列表、链接、清除格式）；提交时把编辑区的 HTML 写回 textarea，
// 服务器端再按白名单清洗。没有 JavaScript 时 textarea 照常可用（纯文字，空行分段）。
(function () {
  var BUTTONS = [
    ["bold", "B", "加粗", "fw-bold"],
    ["italic", "I", "斜体", "fst-italic"],
    ["underline", "U", "下划线", "text-decoration-underline"],
    ["h3", "标题", "小标题", ""],
    ["insertUnorderedList", "•", "项目列表", ""],
    ["insertOrderedList", "1.", "编号列表", ""],
    ["link", "链接", "插入链接", ""],
    ["removeFormat", "清除", "清除格式", ""],
  ];
  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }
  function toHtml(value) {
    if (/<[a-zA-Z\/!]/.test(value)) return value;
    return value.split(/\n\s*\n/).filter(function (p) { return p.trim(); })
      .map(function (p) { return "<p>" + escapeText(p.trim()).replace(/\n/g, "<br>") + "</p>"; }).join("");
  }
  function setup(textarea) {
    var toolbar = document.createElement("div");
    toolbar.className = "btn-toolbar gap-1 mb-1 flex-wrap";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "正文格式");
    var editor = document.createElement("div");
    editor.className = "form-control zx-richtext";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("aria-label", "正文编辑区");
    editor.dataset.testid = "richtext";
    editor.style.minHeight = "12rem";
    editor.style.overflowY = "auto";
    editor.innerHTML = toHtml(textarea.value);
    BUTTONS.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "btn btn-sm btn-outline-secondary " + b[3];
      btn.textContent = b[1];
      btn.title = b[2];
      btn.setAttribute("aria-label", b[2]);
      btn.addEventListener("mousedown", function (ev) { ev.preventDefault(); });  // keep the selection
      btn.addEventListener("click", function () {
        editor.focus();
        if (b[0] === "h3") document.execCommand("formatBlock", false, "h3");
        else if (b[0] === "link") {
          var url = window.prompt("链接地址（http:// 或 https:// 开头）", "https://");
          if (url) document.execCommand("createLink", false, url);
        } else document.execCommand(b[0], false, null);
      });
      toolbar.appendChild(btn);
    });
    textarea.classList.add("d-none");
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(editor, textarea);
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    if (label) label.addEventListener("click", function () { editor.focus(); });
    textarea.form.addEventListener("submit", function () { textarea.value = editor.innerHTML; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-zx-richtext]").forEach(setup);
  });
})();

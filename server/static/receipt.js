/* Receipt page comfort: copy the code and print. The page works without it. */
(function () {
  "use strict";
  var code = document.getElementById("receipt-code");
  var copy = document.getElementById("copy-code");
  var print = document.getElementById("print-page");
  var status = document.getElementById("copy-status");
  if (!code || !copy || !print) {
    return;
  }
  var buttons = copy.parentNode;
  buttons.hidden = false;
  copy.addEventListener("click", function () {
    var text = code.textContent.trim();
    var done = function () {
      status.textContent = copy.getAttribute("data-done");
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      var range = document.createRange();
      range.selectNodeContents(code);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      if (document.execCommand("copy")) {
        done();
      }
    }
  });
  print.addEventListener("click", function () {
    window.print();
  });
}());

/* Tip form comfort: warns at once when screenshots are too many or too
   big, before anything is sent.  The form works without it and the
   server checks everything again. */
(function () {
  "use strict";
  var input = document.getElementById("screenshot");
  var out = document.getElementById("screenshot-check");
  if (!input || !out) {
    return;
  }
  var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
  var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
  function kept() {
    var boxes = document.querySelectorAll("input[name=keep]:checked");
    return boxes.length;
  }
  function check() {
    var files = input.files || [];
    var problems = [];
    if (files.length + kept() > maxFiles) {
      problems.push(input.getAttribute("data-too-many"));
    }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > maxBytes) {
        problems.push(files[i].name + ": " + input.getAttribute("data-too-big"));
      }
    }
    out.textContent = problems.join(" ");
    input.setCustomValidity(problems.join(" "));
  }
  input.addEventListener("change", check);
  var boxes = document.querySelectorAll("input[name=keep]");
  for (var k = 0; k < boxes.length; k++) {
    boxes[k].addEventListener("change", check);
  }
}());

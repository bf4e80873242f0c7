// Freigabe – small progressive enhancements (CSP: no inline scripts).  Everything works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Move keyboard focus to the error summary so screen-reader users hear what went wrong.
    var summary = document.querySelector(".error-summary[tabindex]");
    if (summary) { summary.focus(); }
    // Groups only matter for a restricted audience.
    var groups = document.getElementById("f-groups");
    var radios = document.querySelectorAll("input[name=audience]");
    function sync() {
      var restricted = document.getElementById("f-audience-restricted");
      if (groups && restricted) { groups.closest(".field").hidden = !restricted.checked && !groups.value; }
    }
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  });
})();

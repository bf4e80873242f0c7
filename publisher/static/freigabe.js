// Freigabe – small progressive enhancements (CSP: no inline scripts).  Everything works without JavaScript.
(function () {
  "use strict";

  function init() {
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
    document.querySelectorAll("form[data-upload-progress]").forEach(enhanceUpload);
    // First upload of a new series (issue 17): once a file is picked, upload it and show its columns as
    // choices (the same server-side step as the button "Datei hochladen und Spalten anzeigen").
    document.querySelectorAll("button[data-columns-step]").forEach(function (button) {
      var form = button.form;
      var file = form && form.querySelector("input[type=file]");
      if (!file || file.dataset.columnsStep) { return; }
      file.dataset.columnsStep = "1";
      file.addEventListener("change", function () {
        if (file.files && file.files.length && form.requestSubmit) { form.requestSubmit(button); }
      });
    });
  }

  // Upload with a progress bar: the form is sent with XMLHttpRequest (same fields, same CSRF token), the
  // bar follows the upload, then "checking" while the server runs the rules; the answer replaces the page.
  function enhanceUpload(form) {
    if (form.dataset.enhanced || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) { return; }
    form.dataset.enhanced = "1";
    var box = form.querySelector(".upload-progress");
    if (!box) { return; }
    var bar = box.querySelector("progress");
    var text = box.querySelector(".upload-progress-text");
    form.addEventListener("submit", function (ev) {
      var file = form.querySelector("input[type=file]");
      if (!file || !file.files || !file.files.length) { return; }  // nothing to upload: plain submit
      ev.preventDefault();
      var data = new FormData(form);
      if (ev.submitter && ev.submitter.name) { data.append(ev.submitter.name, ev.submitter.value); }
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      box.hidden = false;
      form.setAttribute("aria-busy", "true");
      function report(pct, phase) {
        bar.value = pct;
        text.textContent = phase === "checking" ? box.dataset.checking : (box.dataset.uploading + " " + pct + " %");
        document.dispatchEvent(new CustomEvent("freigabe:upload-progress", {detail: {percent: pct, phase: phase}}));
      }
      report(0, "uploading");
      var checkUrl = form.dataset.checkUrl;
      if (checkUrl && ev.submitter && ev.submitter.value === "check") {
        backgroundCheck(form, box, text, data, checkUrl, report);
        return;
      }
      var xhr = new XMLHttpRequest();
      // form.getAttribute: a control named "action" shadows form.action
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { report(Math.round(e.loaded / e.total * 100), "uploading"); }
      });
      xhr.upload.addEventListener("load", function () { report(100, "checking"); });
      xhr.addEventListener("load", function () {
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.pushState(null, "", xhr.responseURL);
        }
        document.title = doc.title;
        document.documentElement.replaceChild(document.adoptNode(doc.body), document.body);
        window.scrollTo(0, 0);
        document.dispatchEvent(new CustomEvent("freigabe:upload-progress", {detail: {percent: 100, phase: "done"}}));
        init();
        var target = document.querySelector(".error-summary[tabindex]") || document.getElementById("inhalt");
        if (target) { target.focus(); }
      });
      xhr.addEventListener("error", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
        form.removeAttribute("aria-busy");
        text.textContent = box.dataset.failed;
      });
      xhr.send(data);
    });
  }

  function enableForm(form, box) {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    form.removeAttribute("aria-busy");
    box.hidden = true;
  }

  // "Check only": upload (with progress), the server checks in the background, the page polls the status
  // and shows the result above the form.  The chosen file stays selected, so saving needs no new upload.
  function backgroundCheck(form, box, text, data, checkUrl, report) {
    data.delete("action");
    var slot = document.getElementById("check-slot");
    function show(html) {
      document.querySelectorAll("section.check-result, .error-summary").forEach(function (el) {
        if (!slot.contains(el)) { el.remove(); }
      });
      slot.innerHTML = html;
      enableForm(form, box);
      slot.focus();
      document.dispatchEvent(new CustomEvent("freigabe:upload-progress", {detail: {percent: 100, phase: "done"}}));
    }
    function poll(url) {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (st) {
          if (st.state === "running") {
            var secs = Math.round(st.seconds || 0);
            // large files: the stage and its share of the whole check (issue 16); the bar follows the check
            var stage = st.stage_label ? ": " + st.stage_label + " (" + (st.percent || 0) + " %)" : "";
            text.textContent = box.dataset.running + " " + secs + " " + (secs === 1 ? box.dataset.second : box.dataset.seconds) + stage;
            if (st.stage_label) { box.querySelector("progress").value = st.percent || 0; }
            document.dispatchEvent(new CustomEvent("freigabe:upload-progress",
              {detail: {percent: 100, phase: "polling", stage: st.stage || null, checked: st.percent || 0}}));
            window.setTimeout(function () { poll(url); }, 400);
          } else {
            show(st.html || "");
          }
        })
        .catch(function () { enableForm(form, box); box.hidden = false; text.textContent = box.dataset.failed; });
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", checkUrl);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { report(Math.round(e.loaded / e.total * 100), "uploading"); }
    });
    xhr.upload.addEventListener("load", function () { report(100, "checking"); });
    xhr.addEventListener("load", function () {
      var st = null;
      try { st = JSON.parse(xhr.responseText); } catch (err) { st = null; }
      if (xhr.status === 202 && st && st.status_url) { poll(st.status_url); }
      else if (st && st.html) { show(st.html); }
      else { enableForm(form, box); box.hidden = false; text.textContent = box.dataset.failed; }
    });
    xhr.addEventListener("error", function () { enableForm(form, box); box.hidden = false; text.textContent = box.dataset.failed; });
    xhr.send(data);
  }

  document.addEventListener("DOMContentLoaded", init);
})();

// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Read aloud with the browser's own speech synthesis, where it has one.
  function setupReadAloud() {
    var button = document.querySelector("[data-read-aloud]");
    if (!button || !("speechSynthesis" in window)) return;
    button.hidden = false;
    var label = button.querySelector("span");
    var startText = label.textContent;
    button.addEventListener("click", function () {
      if (window.speechSynthesis.speaking) {
        window.speechSynthesis.cancel();
        label.textContent = startText;
        return;
      }
      var main = document.getElementById("main");
      var utterance = new SpeechSynthesisUtterance(main.innerText);
      utterance.lang = button.getAttribute("data-lang") === "en" ? "en" : (button.getAttribute("data-lang") === "zh-Hant" ? "zh-HK" : "zh-CN");
      utterance.rate = 0.9;
      utterance.onend = function () { label.textContent = startText; };
      label.textContent = button.getAttribute("data-label-stop");
      window.speechSynthesis.speak(utterance);
    });
  }

  // "Use my location": fill the hidden fields, then ask the server which community that is.
  function setupLocate() {
    var button = document.querySelector("[data-locate]");
    if (!button || !("geolocation" in navigator)) return;
    button.hidden = false;
    var result = document.getElementById("location-result");
    button.addEventListener("click", function () {
      result.textContent = button.getAttribute("data-msg-wait");
      navigator.geolocation.getCurrentPosition(function (position) {
        var lat = position.coords.latitude.toFixed(6);
        var lng = position.coords.longitude.toFixed(6);
        document.querySelector("[data-lat]").value = lat;
        document.querySelector("[data-lng]").value = lng;
        var chosen = document.querySelector("input[name=category]:checked");
        var values = { lat: lat, lng: lng, category: chosen ? chosen.value : "" };
        if (window.htmx) {  // its htmx:afterSwap chooses the community
          window.htmx.ajax("GET", "/report/locate", { target: "#location-result", swap: "innerHTML", values: values });
        } else {
          window.fetch("/report/locate?" + new URLSearchParams(values).toString(), { credentials: "same-origin" })
            .then(function (r) { return r.text(); })
            .then(function (html) { result.innerHTML = html; selectLocatedCommunity(); })
            .catch(function () { /* the hidden fields still carry the position */ });
        }
        saveDraft();
      }, function () {
        result.textContent = button.getAttribute("data-msg-denied");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // The position found a community: choose it in the menu too, so the form shows what it will send.
  function selectLocatedCommunity() {
    var found = document.querySelector("#location-result [data-community]");
    var menu = document.getElementById("community");
    if (found && menu) {
      menu.value = found.getAttribute("data-community");
      saveDraft();
    }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "location-result") selectLocatedCommunity();
  });

  // An answer htmx does not swap (429 too many tries, 413, 500…): say so where the form is, in the
  // words of the server's error page, rather than leave the form as if nothing happened.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail && event.detail.target;
    var xhr = event.detail && event.detail.xhr;
    if (!target || !xhr || !window.DOMParser) return;
    var answer = new window.DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var words = Array.prototype.map.call(answer.querySelectorAll("main h1, main h1 ~ p:not(:last-of-type)"), function (node) {
      return node.textContent.trim();
    }).filter(Boolean).join(" ");
    var alert = target.querySelector("[data-request-error]");
    if (!alert) {
      alert = document.createElement("p");
      alert.className = "field-error";
      alert.setAttribute("role", "alert");
      alert.setAttribute("data-request-error", "");
      target.insertBefore(alert, target.firstChild);
    }
    alert.textContent = words || xhr.statusText || String(xhr.status);
  });

  // Never lose what was typed: keep a draft of the report in this browser until it is sent.
  var draftForm = null;
  var DRAFT_FIELDS = ["category", "description", "lat", "lng", "community", "address", "name", "phone", "visibility"];
  function draftKey() { return "draft:" + draftForm.getAttribute("data-draft"); }
  function saveDraft() {
    if (!draftForm) return;
    var data = {};
    DRAFT_FIELDS.forEach(function (name) {
      var field = draftForm.elements[name];
      if (!field) return;
      data[name] = field.value;
    });
    try { window.localStorage.setItem(draftKey(), JSON.stringify(data)); } catch (e) { /* storage full or disabled */ }
  }
  function restoreDraft() {
    var raw;
    try { raw = window.localStorage.getItem(draftKey()); } catch (e) { return; }
    if (!raw) return;
    var data = JSON.parse(raw);
    DRAFT_FIELDS.forEach(function (name) {
      var field = draftForm.elements[name];
      if (!field || data[name] === undefined || data[name] === "") return;
      if (field instanceof RadioNodeList) {
        if (!Array.prototype.some.call(field, function (r) { return r.checked && r.value !== "public"; })) field.value = data[name];
      } else if (!field.value) {
        field.value = data[name];
      }
    });
  }
  function setupDraft() {
    var done = document.querySelector("[data-clear-draft]");
    if (done) {
      try { window.localStorage.removeItem("draft:" + done.getAttribute("data-clear-draft")); } catch (e) { /* ignore */ }
    }
    draftForm = document.querySelector("form[data-draft]");
    if (!draftForm) return;
    restoreDraft();
    draftForm.addEventListener("input", saveDraft);
    draftForm.addEventListener("change", saveDraft);
  }

  // Show the chosen photos before sending.
  function setupPhotoPreview() {
    var input = document.getElementById("photos");
    var list = document.querySelector("[data-photo-preview]");
    if (!input || !list || !window.URL) return;
    input.addEventListener("change", function () {
      list.textContent = "";
      Array.prototype.slice.call(input.files, 0, 4).forEach(function (file, index) {
        var item = document.createElement("li");
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = (list.getAttribute("data-alt") || "#").replace("#", String(index + 1));
        item.appendChild(img);
        list.appendChild(item);
      });
    });
  }

  // A phone photo of several megabytes is slow on a weak mobile connection: shrink it in the
  // browser to the size the server keeps anyway (1600 px on the long side) before it is sent.
  // Anything the browser cannot decode (HEIC on many browsers) is sent as it is.
  var KEEP_SIDE = 1600;
  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < 600 * 1024) return Promise.resolve(file);
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, KEEP_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();  // a 12-megapixel picture holds about 48 MB until closed
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.88);
      });
    }).catch(function () { return file; });
  }

  function setupPhotoShrink() {
    var input = document.getElementById("photos");
    if (!input || !window.createImageBitmap || !window.DataTransfer || !window.Promise) return;
    var form = input.form;
    var pending = null;
    var round = 0;
    input.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(input.files);
      var mine = ++round;  // a newer choice wins over a shrinking still under way
      if (!chosen.length || chosen.length > 4) { pending = null; return; }  // more than four: the server says so
      // One photo at a time: a low-end phone cannot hold several full-size pictures at once.
      var shrunk = [];
      pending = chosen.reduce(function (done, file) {
        return done.then(function () { return shrink(file); }).then(function (small) { shrunk.push(small); });
      }, Promise.resolve()).then(function () {
        if (mine !== round) return;
        var transfer = new DataTransfer();
        shrunk.forEach(function (f) { transfer.items.add(f); });
        input.files = transfer.files;  // setting files fires no change event
      }).catch(function () {
        // the browser could not swap the files: the photos go as they were chosen
      }).then(function () { if (mine === round) pending = null; });
    });
    // Sending waits for the shrinking, then goes ahead as the resident asked, whatever happened.
    form.addEventListener("submit", function (event) {
      if (!pending) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      var submitter = event.submitter;
      var go = function () { form.requestSubmit ? form.requestSubmit(submitter || undefined) : form.submit(); };
      pending.then(go, go);
    });
  }

  // One tap sends one report: a second tap while the first is on its way does nothing.
  function setupSubmitOnce() {
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-sending") === "1") { event.preventDefault(); return; }
        form.setAttribute("data-sending", "1");
        window.setTimeout(function () { form.removeAttribute("data-sending"); }, 15000);
      });
    });
  }

  function setupMisc() {
    var print = document.querySelector("[data-print]");
    if (print) { print.hidden = false; print.addEventListener("click", function () { window.print(); }); }
    document.querySelectorAll("[data-hide-with-js]").forEach(function (el) { el.hidden = true; });
    // The field that needs fixing, if the page marks one, else the summary of the problems.
    var summary = document.querySelector(":not(.error-summary)[data-focus-on-load]") || document.querySelector("[data-focus-on-load]");
    if (summary) summary.focus();
  }

  // The milestones' weights add up as they are typed (the server checks the total on saving).
  function setupWeightsTotal() {
    var total = document.querySelector("[data-weights-total]");
    if (!total) return;
    var form = total.closest("form");
    var count = function () {
      var sum = 0;
      form.querySelectorAll("input[name$='-weight']").forEach(function (input) {
        var n = parseInt(input.value, 10);
        if (!isNaN(n) && n > 0) sum += n;
      });
      total.textContent = total.getAttribute("data-template").replace("#", String(sum));
    };
    form.addEventListener("input", count);
    count();
  }

  // An editor whose latest words are not saved yet (autosave pending, or refused until the writer
  // mends them) asks before the page is left, so nothing typed is lost unawares.
  function setupUnsavedWarning() {
    var form = document.querySelector("form[data-warn-unsaved]");
    if (!form) return;
    var unsaved = false;
    form.addEventListener("input", function () { unsaved = true; });
    form.addEventListener("submit", function () { unsaved = false; });
    document.addEventListener("htmx:afterSwap", function (event) {
      var status = event.detail && event.detail.target;
      if (status && status.id === "autosave-status") unsaved = !!status.querySelector(".autosave-problem");
    });
    window.addEventListener("beforeunload", function (event) {
      if (!unsaved) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  // Staff sessions end after idle minutes: warn first, and let one tap keep the session.
  function setupSessionWarning() {
    var nav = document.querySelector("[data-session-expires]");
    if (!nav || !window.fetch) return;
    var box = nav.querySelector("[data-session-warning]");
    var stay = nav.querySelector("[data-stay-signed-in]");
    var total = parseInt(nav.getAttribute("data-session-expires"), 10) * 1000;
    var warn = parseInt(nav.getAttribute("data-session-warn"), 10) * 1000;
    var timer = null;
    function arm() {
      box.hidden = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { box.hidden = false; }, total - warn);
    }
    stay.addEventListener("click", function () {
      var token = (document.body.getAttribute("data-hx-headers") || "").match(/"x-csrftoken": "([^"]*)"/);
      window.fetch("/staff/keepalive", { method: "POST", credentials: "same-origin", headers: { "x-csrftoken": token ? token[1] : "" } })
        // An ended session answers with a redirect to sign in: reload, and the page asks for it.
        .then(function (r) { if (r.ok && !r.redirected) arm(); else window.location.reload(); });
    });
    arm();
  }

  ready(function () {
    setupSessionWarning();
    setupReadAloud();
    setupLocate();
    setupDraft();
    setupPhotoPreview();
    setupPhotoShrink();
    setupSubmitOnce();
    setupMisc();
    setupUnsavedWarning();
    setupWeightsTotal();
  });
})();

// Optional enhancements: the pages work without JavaScript.
// 1. Week pages are static: slots that became past since the page was generated are marked here.
// 2. Hold pages: a live countdown to the hold's expiry (the absolute time is in the text already).
// 3. A form sent back with errors: the focus goes to the list of errors, so it is read first.
// 4. Week pages on a phone: the tab of the day shown is marked; a "#slot-<start>" link shows its day.
// 5. A client past its budget, when the comune turned proof of work on: the browser finds the number the
//    challenge asks for (SHA-256 of salt + number starting with N zero bits) and sends the form again. Without
//    JavaScript (or Web Crypto) the page says how long to wait before pressing the button.
(function () {
  "use strict";
  // 6. A page a form answered (/api/page) is fetched again when Back/Forward brings it out of the browser's
  //    back/forward cache, so a page of a session closed since is not shown from memory.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && /\/api\/page$/.test(location.pathname)) { location.reload(); }
  });
  // 5. The receipt's "Stampa" button: shown only here, where it can work (without JavaScript the text beside it
  //    points to the browser's own print command).
  var printButtons = document.querySelectorAll("button[data-print]");
  for (var p = 0; p < printButtons.length; p++) {
    printButtons[p].hidden = false;
    printButtons[p].addEventListener("click", function () { window.print(); });
  }
  var errorSummary = document.querySelector(".error-summary");
  if (errorSummary) { errorSummary.focus(); }

  var form = document.querySelector("form[data-notice]");
  if (form) {
    var notice = parseInt(form.getAttribute("data-notice"), 10) || 0;
    var pastText = document.documentElement.lang === "en" ? "No longer bookable" : "Non più prenotabile";
    var markPast = function () {
      var now = Date.now() / 1000;
      var inputs = form.querySelectorAll("input[name=slot]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var start = parseInt(input.value, 10);
        if (start - notice <= now && !input.disabled) {
          input.disabled = true;
          input.checked = false;
          var cell = input.closest("li");
          // The cell becomes what a past slot's cell is on a freshly published page: its class, time and text.
          if (cell) {
            var time = cell.querySelector("b");
            cell.className = "past";
            cell.textContent = " " + pastText;
            if (time) { cell.insertBefore(time, cell.firstChild); }
          }
        }
      }
      // The page marks only its first free slot "required" (one radio makes the whole group required): when that
      // one turned past, the first slot left takes it over.
      var first = form.querySelector("input[name=slot]");
      if (first) { first.required = true; }
    };
    markPast();
    setInterval(markPast, 30000);
  }

  // Week pages on a phone: the tab of the day shown is marked (CSS shows the day; this only says which tab).
  var tabs = document.querySelectorAll(".day-tabs a");
  if (tabs.length) {
    // The availability data links a slot as "#slot-<start>": its day is shown and the slot chosen.
    if (/^#slot-\d+$/.test(location.hash)) {
      var linked = document.querySelector("input[name=slot][value='" + location.hash.slice(6) + "']");
      var linkedDay = linked && !linked.disabled && linked.closest("section.day");
      if (linkedDay) {
        linked.checked = true;
        location.replace("#" + linkedDay.id);
      }
    }
    var markTab = function () {
      var initial = document.querySelector(".day--initial");
      var shown = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
      var current = "#" + (shown && shown.classList.contains("day") ? shown.id : initial ? initial.id : "");
      for (var t = 0; t < tabs.length; t++) {
        if (tabs[t].getAttribute("href") === current) {
          tabs[t].setAttribute("aria-current", "true");
        } else {
          tabs[t].removeAttribute("aria-current");
        }
      }
    };
    markTab();
    window.addEventListener("hashchange", markTab);
  }

  var countdown = document.querySelector("[data-expires]");
  if (countdown) {
    var expires = parseInt(countdown.getAttribute("data-expires"), 10) * 1000;
    var live = document.querySelector("[data-countdown-live]");
    var lastAnnounced = -1;
    var tick = function () {
      var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      countdown.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      // Announce politely once a minute, not every second.
      if (live && minutes !== lastAnnounced && seconds === 0) {
        lastAnnounced = minutes;
        var template = minutes === 1 && live.getAttribute("data-template-one") || live.getAttribute("data-template");
        live.textContent = template.replace("{minutes}", String(minutes));
      }
      if (left === 0) {
        var expired = document.querySelector("[data-expired-message]");
        if (expired) { expired.hidden = false; }
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }

  var proof = document.querySelector("form[data-pow]");
  if (proof && window.crypto && window.crypto.subtle && window.TextEncoder) {
    var bits = parseInt(proof.getAttribute("data-pow"), 10) || 0;
    var salt = proof.getAttribute("data-salt") || "";
    var status = proof.querySelector("[data-pow-status]");
    if (status) { status.textContent = status.getAttribute("data-working"); }
    var encoder = new TextEncoder();
    var zeroBits = function (bytes) {
      var count = 0;
      for (var i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0) { count += 8; continue; }
        for (var mask = 0x80; mask && !(bytes[i] & mask); mask >>= 1) { count += 1; }
        return count;
      }
      return count;
    };
    // Batches of digests; each batch starts the next from its callback, so no promise chain grows.
    var search = function (first) {
      var batch = [];
      for (var n = first; n < first + 512; n++) { batch.push(window.crypto.subtle.digest("SHA-256", encoder.encode(salt + n))); }
      Promise.all(batch).then(function (digests) {
        for (var i = 0; i < digests.length; i++) {
          if (zeroBits(new Uint8Array(digests[i])) >= bits) {
            proof.querySelector("input[name=pow_nonce]").value = String(first + i);
            proof.submit();
            return;
          }
        }
        search(first + 512);
      });
    };
    search(0);
  }
})();

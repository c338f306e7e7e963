// Optional enhancements: the pages work without JavaScript.
// 1. Week pages are static: slots that became past since the page was generated are marked here.
// 2. Hold pages: a live countdown to the hold's expiry (the absolute time is in the text already).
// 3. A form sent back with errors: the focus goes to the list of errors, so it is read first.
// 4. A client past its budget, when the comune turned proof of work on: the browser finds the number the
//    challenge asks for (SHA-256 of salt + number starting with N zero bits) and sends the form again. Without
//    JavaScript (or Web Crypto) the page says how long to wait before pressing the button.
(function () {
  "use strict";
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
          var cell = input.closest("td");
          // The cell becomes what a past slot's cell is on a freshly published page: its class and its text.
          if (cell) {
            cell.className = "past";
            cell.textContent = pastText;
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

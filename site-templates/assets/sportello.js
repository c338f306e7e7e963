// Optional enhancements: the pages work without JavaScript.
// 1. Week pages are static: slots that became past since the page was generated are marked here.
// 2. Hold pages: a live countdown to the hold's expiry (the absolute time is in the text already).
// 3. A form sent back with errors: the focus goes to the list of errors, so it is read first.
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
      var inputs = form.querySelectorAll("input[data-start]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var start = parseInt(input.getAttribute("data-start"), 10);
        if (start - notice <= now && !input.disabled) {
          input.disabled = true;
          input.checked = false;
          var cell = input.closest("td");
          if (cell) {
            cell.className = "cell cell--past";
            var text = cell.querySelector(".state-text");
            if (text) { text.textContent = pastText; }
          }
        }
      }
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
        live.textContent = live.getAttribute("data-template").replace("{minutes}", String(minutes));
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
})();

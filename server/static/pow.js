/* Tip form: an optional proof of work.  Fetches a challenge from /pow,
   has pow-worker.js solve it off the page's thread, and puts
   "challenge:nonce" into the form's hidden field pow, so that the tip
   counts against a larger allowance (intake.c, intake_allow_tip()).
   It never holds up sending: a form sent before the answer is ready
   goes without it, and any failure just leaves the field empty. */
(function () {
  "use strict";
  var field = document.querySelector("form input[name=pow]");
  var me = document.currentScript;
  if (!field || !me || !window.Worker || !window.fetch ||
      !window.isSecureContext) {
    return;
  }
  /* The worker from beside this script, with the same version. */
  var workerUrl = me.src.replace(/pow\.js(\?|$)/, "pow-worker.js$1");
  var worker = null;
  var timer = null;
  var round = 0;

  function stop() {
    if (worker) {
      worker.terminate();
      worker = null;
    }
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
  }

  function start() {
    var mine = ++round;
    stop();
    fetch("/pow", { cache: "no-store", credentials: "omit" })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (c) {
        if (!c || mine !== round || typeof c.challenge !== "string") {
          return;
        }
        try {
          worker = new Worker(workerUrl);
        } catch (e) {
          return;
        }
        worker.onmessage = function (e) {
          if (mine !== round || !e.data || !e.data.nonce) {
            stop();
            return;
          }
          field.value = c.challenge + ":" + e.data.nonce;
          stop();
          /* A fresh one shortly before this one expires. */
          var wait = (Number(c.expires_in) || 600) - 60;
          timer = setTimeout(start, Math.max(wait, 60) * 1000);
        };
        worker.onerror = stop;
        worker.postMessage({ challenge: c.challenge, bits: c.bits });
      })
      .catch(function () {});
  }

  /* Back from the history cache: the answer may have been used. */
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) {
      field.value = "";
      start();
    }
  });
  field.value = "";
  start();
}());

/* Solves a /pow challenge off the page's thread: finds a nonce such that
   SHA-256(challenge followed by the nonce's decimal digits) starts with
   at least the challenge's number of zero bits, and posts back
   {nonce: "..."}, or {error: "..."} if the browser cannot hash. */
"use strict";

var BATCH = 512; /* digests in flight at once */

function zeroBits(buf) {
  var h = new Uint8Array(buf);
  var n = 0;
  for (var i = 0; i < h.length; i++) {
    if (h[i] === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(h[i]) - 24;
  }
  return n;
}

async function solve(challenge, bits) {
  var enc = new TextEncoder();
  var subtle = self.crypto && self.crypto.subtle;
  if (!subtle) {
    throw new Error("no crypto.subtle");
  }
  for (var base = 0; base < Number.MAX_SAFE_INTEGER; base += BATCH) {
    var jobs = [];
    for (var i = 0; i < BATCH; i++) {
      jobs.push(subtle.digest("SHA-256", enc.encode(challenge + (base + i))));
    }
    var digests = await Promise.all(jobs);
    for (var k = 0; k < digests.length; k++) {
      if (zeroBits(digests[k]) >= bits) {
        return String(base + k);
      }
    }
  }
  throw new Error("no nonce");
}

self.onmessage = function (e) {
  var d = e.data || {};
  solve(String(d.challenge), Number(d.bits)).then(function (nonce) {
    self.postMessage({ nonce: nonce });
  }, function (err) {
    self.postMessage({ error: String(err) });
  });
};

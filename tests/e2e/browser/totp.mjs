// One-time codes for the browser scripts' login steps, computed when the
// step runs (console.mjs and axe.mjs: {"fill": SELECTOR, "totp": ...}).
import { createHmac } from "node:crypto";

export function base32(s) {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out = [];
  let bits = 0, acc = 0;
  for (const ch of s.replace(/=+$/, "").toUpperCase()) {
    const v = abc.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${s}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// RFC 6238 with RFC 4226's truncation: HMAC-SHA1, 30 s steps, 6 digits.
export function totp(secret, now = Date.now()) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const mac = createHmac("sha1", base32(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 15;
  const n = mac.readUInt32BE(off) & 0x7fffffff;
  return String(n % 1000000).padStart(6, "0");
}

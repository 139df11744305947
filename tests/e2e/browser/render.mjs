// Draws a made-up social-media post as a phone would show it, for the OCR
// tests and bench/ocr.sh: node render.mjs WIDTH HEIGHT SCALE FONT OUT.png
// with the post as JSON on stdin: {"lang", "dir", "name", "handle",
// "body", "clock", "foot"}.  The page is built here from text nodes (no
// markup from the input), served from memory, and nothing is fetched.
import { launchChromium } from "./chromium.mjs";

const [w, h, scale, font, out] = process.argv.slice(2);
const post = JSON.parse(await new Promise((resolve) => {
  let s = "";
  process.stdin.on("data", (d) => { s += d; });
  process.stdin.on("end", () => resolve(s));
}));

const browser = await launchChromium();
try {
  const page = await browser.newPage({
    viewport: { width: Number(w), height: Number(h) },
    deviceScaleFactor: Number(scale),
  });
  await page.route("**/*", (route) => route.abort());
  await page.setContent("<!DOCTYPE html><html><head><meta charset=utf-8>" +
    "<style>body{margin:0;font-family:" + JSON.stringify(font) +
    ",sans-serif;background:#fff;color:#111}" +
    ".bar{display:flex;justify-content:space-between;padding:4px 12px;" +
    "background:#f2f2f2;font-size:13px;direction:ltr}" +
    ".head{display:flex;gap:10px;align-items:center;padding:12px}" +
    ".av{width:40px;height:40px;border-radius:50%;background:#8fa3b8}" +
    ".name{font-weight:700}.handle{color:#657786;font-size:13px}" +
    ".body{padding:0 12px;font-size:17px;line-height:1.45}" +
    ".foot{padding:12px;color:#657786;font-size:13px;" +
    "border-top:1px solid #e1e8ed;margin-top:12px}</style></head>" +
    "<body></body></html>");
  await page.evaluate((p) => {
    document.documentElement.lang = p.lang;
    document.documentElement.dir = p.dir || "ltr";
    const el = (cls, text, parent) => {
      const e = document.createElement("div");
      e.className = cls;
      if (text !== undefined) e.textContent = text;
      (parent || document.body).appendChild(e);
      return e;
    };
    const bar = el("bar");
    el("", p.clock || "12:34", bar);
    el("", "5G 87 %", bar);
    const head = el("head");
    el("av", undefined, head);
    const who = el("", undefined, head);
    el("name", p.name, who);
    el("handle", p.handle, who);
    el("body", p.body);
    el("foot", p.foot || "");
  }, post);
  await page.screenshot({ path: out, fullPage: false });
} finally {
  await browser.close();
}

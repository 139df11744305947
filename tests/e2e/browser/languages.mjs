// The public pages in each language, in Debian's Chromium at a phone's
// viewport (390x844) with JavaScript off, as a tipster without scripts
// would see them.
//
//   node languages.mjs BASE_URL OUT_DIR JOB
//
// JOB is one JSON object:
//   {"forms": [LANG...]}     open /LANG for each, screenshot it into
//                            OUT_DIR/form-LANG.png and measure its layout
//   {"submit": LANG, "description": S, "url": U}
//                            fill in and send the form in LANG, then look
//                            the receipt code up through the page's own
//                            status link; screenshots of the receipt and
//                            status pages
//   {"status": LANG, "code": C}
//                            look C up on /status?lang=LANG
//
// Prints one JSON object on stdout: what the pages showed.  Layout is
// measured from element positions (getBoundingClientRect), never from the
// pixels of text.
import { launchChromium } from "./chromium.mjs";
import path from "node:path";

const [base, outDir, jobJson] = process.argv.slice(2);
if (!base || !outDir || !jobJson) {
  console.error("usage: node languages.mjs BASE_URL OUT_DIR JOB");
  process.exit(2);
}
const job = JSON.parse(jobJson);

// Runs in the page.  Where the main column's pieces sit against its
// content box, which way the choices run, and whether the letters of the
// page's script have glyphs (each measured against a code point no font
// has, whose width is the missing-glyph box's).
function layout(letters) {
  const main = document.querySelector("main");
  const cs = getComputedStyle(main);
  const m = main.getBoundingClientRect();
  const left = m.left + parseFloat(cs.paddingLeft);
  const right = m.right - parseFloat(cs.paddingRight);
  const edges = (sel) => {
    const e = document.querySelector(sel);
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return { fromLeft: Math.round(r.left - left),
      fromRight: Math.round(right - r.right) };
  };
  const res = {
    dir: document.documentElement.dir,
    lang: document.documentElement.lang,
    bodyDirection: getComputedStyle(document.body).direction,
    viewportWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    // inline-block and shrink-to-fit: they start at the column's start.
    label: edges("label[for=description]"),
    submit: edges("button[type=submit]"),
    legend: edges("legend"),
    // A radio and its label: which side the control is on.
    choice: null,
    missingGlyphs: [],
  };
  const input = document.querySelector("#channel-online");
  const label = document.querySelector("label[for=channel-online]");
  if (input && label) {
    const i = input.getBoundingClientRect();
    const l = label.getBoundingClientRect();
    res.choice = i.left > l.left ? "control-right" : "control-left";
  }
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `16px ${getComputedStyle(document.body).fontFamily}`;
  const missing = ctx.measureText("\u{10FFFD}").width;
  for (const ch of letters) {
    if (ctx.measureText(ch).width === missing) res.missingGlyphs.push(ch);
  }
  return res;
}

// The letters each language's pages must show.
const LETTERS = {
  ar: "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإةى",
  fa: "پچژگکیابتثجحخدذرزسشصضطظعغفقلمنهو",
  se: "áčđŋšŧžÁČĐŊŠŦŽ",
  ru: "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
  uk: "ґєіїҐЄІЇ",
  et: "õäöüšžÕÄÖÜŠŽ",
  so: "abcdefghijklmnopqrstuvwxyz",
  fi: "åäöÅÄÖ",
  sv: "åäöÅÄÖ",
  en: "abc",
};

const browser = await launchChromium();
const out = { forms: {} };
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    javaScriptEnabled: false,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const failed = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });

  for (const lang of job.forms || []) {
    const resp = await page.goto(`${base}/${lang}`);
    const f = await page.evaluate(layout, LETTERS[lang] || "");
    f.status = resp.status();
    f.shot = path.join(outDir, `form-${lang}.png`);
    await page.screenshot({ path: f.shot, fullPage: true });
    out.forms[lang] = f;
  }

  const shoot = async (name) => {
    const p = path.join(outDir, name);
    await page.screenshot({ path: p, fullPage: true });
    return p;
  };

  if (job.submit) {
    const lang = job.submit;
    await page.goto(`${base}/${lang}`);
    // Reached by their labels, as a screen reader would.
    await page.fill("#description", job.description);
    await page.check("#channel-online");
    await page.selectOption("#platform", "telegram");
    await page.fill("#url", job.url);
    await page.check("#motive-ethnic");
    await page.check("#feedback-receipt");
    const [nav] = await Promise.all([
      page.waitForNavigation(),
      page.click("button[type=submit]"),
    ]);
    out.receiptStatus = nav ? nav.status() : null;
    out.receipt = await page.evaluate(() => {
      const code = document.getElementById("receipt-code");
      const r = code.getBoundingClientRect();
      return {
        lang: document.documentElement.lang,
        dir: document.documentElement.dir,
        code: code.textContent.trim(),
        codeDirection: getComputedStyle(code).direction,
        codeFits: r.right <= window.innerWidth && r.left >= 0,
        scrollWidth: document.documentElement.scrollWidth,
      };
    });
    out.receiptShot = await shoot(`receipt-${lang}.png`);
    await Promise.all([
      page.waitForNavigation(),
      page.click("a[href^='/status']"),
    ]);
    out.statusFormLang = await page.getAttribute("html", "lang");
    // As a person might type it: lower case, without the dashes.
    await page.fill("#code", out.receipt.code.replace(/-/g, "").toLowerCase());
    const [snav] = await Promise.all([
      page.waitForNavigation(),
      page.click("button[type=submit]"),
    ]);
    out.statusStatus = snav ? snav.status() : null;
    out.statusLang = await page.getAttribute("html", "lang");
    out.statusResult = (await page.isVisible(".status-result"))
      ? (await page.textContent(".status-result")).trim() : null;
  }

  if (job.status) {
    await page.goto(`${base}/status?lang=${job.status}`);
    await page.fill("#code", job.code);
    const [snav] = await Promise.all([
      page.waitForNavigation(),
      page.click("button[type=submit]"),
    ]);
    out.statusStatus = snav ? snav.status() : null;
    out.status = await page.evaluate(() => {
      return {
        lang: document.documentElement.lang,
        dir: document.documentElement.dir,
        result: (document.querySelector(".status-result") || {}).textContent,
        messages: [...document.querySelectorAll(".feedback-message")].map(
          (m) => {
            const t = m.querySelector(".message-text");
            const time = m.querySelector("time");
            return { text: t.textContent.trim(), lang: t.lang,
              direction: getComputedStyle(t).direction,
              timeDirection: getComputedStyle(time).direction,
              day: time.textContent };
          }),
        scrollWidth: document.documentElement.scrollWidth,
      };
    });
    out.statusShot = await shoot(`status-${job.status}.png`);
  }
  out.failedRequests = failed;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + "\n");

// Fills in the tip form in Debian's Chromium like a person would, sends it
// with two screenshots, reads the receipt code and looks it up on /status.
//
//   node submit.mjs BASE_URL OUT_DIR js|nojs IMAGE1 IMAGE2
//
// Prints one JSON object on stdout: what the pages showed.  With "js" it
// also saves full-page screenshots at a phone's viewport (390x844) of the
// form and of the receipt page into OUT_DIR.
import { launchChromium, watchPage } from "./chromium.mjs";
import path from "node:path";

const [base, outDir, mode, img1, img2] = process.argv.slice(2);
if (!base || !outDir || !["js", "nojs"].includes(mode) || !img1 || !img2) {
  console.error("usage: node submit.mjs BASE_URL OUT_DIR js|nojs IMG1 IMG2");
  process.exit(2);
}
const js = mode === "js";
const description =
  "Bussipysäkillä huudettiin rasistisia solvauksia ulkomaalaisen näköiselle " +
  "perheelle. Äiti ja lapset pelästyivät. Tapahtui noin klo 17.";

// Runs in the page: what a person on a phone would notice.
function layout() {
  const res = {
    viewportWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    // Radios and checkboxes whose label starts below the control.
    wrappedChoices: [],
    // Where the receipt code's text wraps: [index, character before].
    codeBreaks: null,
  };
  for (const input of document.querySelectorAll(".choices input")) {
    const label = document.querySelector(`label[for="${input.id}"]`);
    if (!label) continue;
    const l = label.getClientRects()[0];
    const i = input.getBoundingClientRect();
    if (l && l.top >= i.bottom - 1) res.wrappedChoices.push(input.id);
  }
  const code = document.getElementById("receipt-code");
  if (code && code.firstChild) {
    const node = code.firstChild;
    const text = node.textContent;
    const range = document.createRange();
    res.codeBreaks = [];
    let top = null;
    for (let k = 0; k < text.length; k++) {
      range.setStart(node, k);
      range.setEnd(node, k + 1);
      const r = range.getClientRects()[0];
      if (!r || /\s/.test(text[k])) continue;
      if (top !== null && r.top > top + 2) res.codeBreaks.push([k, text[k - 1]]);
      top = r.top;
    }
  }
  return res;
}

const browser = await launchChromium();
const out = { mode };
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    javaScriptEnabled: js,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    locale: "fi-FI",
  });
  const page = await context.newPage();
  const { consoleErrors, failed } = watchPage(page);

  let resp = await page.goto(`${base}/fi`);
  out.formStatus = resp.status();
  out.formLang = await page.getAttribute("html", "lang");
  out.formLayout = await page.evaluate(layout);
  if (js) {
    out.formShot = path.join(outDir, "form-390x844.png");
    await page.screenshot({ path: out.formShot, fullPage: true });
  }
  // The form's own labels lead to the fields, as for a screen reader.
  await page.getByLabel("Kuvaile, mitä näit tai koit").fill(description);
  await page.check("#channel-both");
  await page.selectOption("#platform", "facebook");
  await page.fill("#url", "https://www.facebook.com/groups/123/posts/456");
  await page.selectOption("#municipality", "091");
  await page.fill("#place", "Rautatientori, bussipysäkki");
  await page.fill("#date", "2024-10-05");
  await page.check("#motive-ethnic");
  await page.check("#motive-skin");
  await page.setInputFiles("#screenshot", [img1, img2]);
  await page.check("#feedback-receipt");
  resp = null;
  const [nav] = await Promise.all([
    page.waitForNavigation(),
    page.click("button[type=submit]"),
  ]);
  out.receiptStatus = nav ? nav.status() : null;
  out.receiptUrl = page.url();
  out.receiptLang = await page.getAttribute("html", "lang");
  out.code = (await page.textContent("#receipt-code") || "").trim();
  out.copyVisible = await page.isVisible("#copy-code");
  out.receiptText = await page.textContent("main");
  out.receiptLayout = await page.evaluate(layout);
  if (js) {
    out.receiptShot = path.join(outDir, "receipt-390x844.png");
    await page.screenshot({ path: out.receiptShot, fullPage: true });
  }

  // Follow the page's own link to the status page and type the code the
  // way a person might: lower case, without dashes.
  await Promise.all([
    page.waitForNavigation(),
    page.click("a[href^='/status']"),
  ]);
  out.statusFormLang = await page.getAttribute("html", "lang");
  await page.fill("#code", out.code.replace(/-/g, "").toLowerCase());
  const [snav] = await Promise.all([
    page.waitForNavigation(),
    page.click("button[type=submit]"),
  ]);
  out.statusStatus = snav ? snav.status() : null;
  out.statusResult = (await page.isVisible(".status-result"))
    ? (await page.textContent(".status-result")).trim() : null;
  out.consoleErrors = consoleErrors;
  out.failedRequests = failed;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + "\n");

// Sends a tip through the English form in Debian's Chromium, with
// JavaScript on or off, for tests/e2e/test_pow_browser.py.
//
//   node pow.mjs BASE_URL js|nojs
//
// With "js" it first waits (up to 60 s) for the form's script to put a
// proof of work into the hidden field pow.  Prints one JSON object on
// stdout: the field's value when sent, the answer's status, the receipt
// code if the page shows one, and the page's console errors and failed
// requests.
import { launchChromium, watchPage } from "./chromium.mjs";

const [base, mode] = process.argv.slice(2);
if (!base || !["js", "nojs"].includes(mode)) {
  console.error("usage: node pow.mjs BASE_URL js|nojs");
  process.exit(2);
}
const js = mode === "js";
const browser = await launchChromium();
const out = { mode };
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    javaScriptEnabled: js,
    locale: "en-GB",
  });
  const page = await context.newPage();
  const { consoleErrors, failed } = watchPage(page);

  const resp = await page.goto(`${base}/en`);
  out.formStatus = resp.status();
  if (js) {
    await page.waitForFunction(
      () => document.querySelector("input[name=pow]").value !== "",
      null, { timeout: 60000, polling: 100 });
  }
  out.pow = await page.inputValue("input[name=pow]");
  await page.fill("#description",
    "A post in a public group calls for violence against a religious group.");
  await page.check("#channel-online");
  await page.selectOption("#platform", "facebook");
  const [nav] = await Promise.all([
    page.waitForNavigation(),
    page.click("button[type=submit]"),
  ]);
  out.status = nav ? nav.status() : null;
  out.code = (await page.locator("#receipt-code").count())
    ? (await page.textContent("#receipt-code")).trim() : null;
  out.consoleErrors = consoleErrors;
  out.failedRequests = failed;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + "\n");

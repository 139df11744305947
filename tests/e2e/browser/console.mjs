// Drives the reviewers' console in Debian's Chromium like an officer
// would, with the mouse or the keyboard alone, and reports what the pages
// showed; tests/e2e/test_console_browser.py checks the database around it.
//
//   node console.mjs [--phone] [--nojs] [--shots DIR] STEP...
//
// A STEP is one JSON object:
//
//   {"goto": URL}                     open URL
//   {"fill": SELECTOR, "value": S}    type S into a field
//   {"upload": SELECTOR, "files": [PATH...]}
//                                     choose files in a file input
//   {"check": SELECTOR}               tick a radio button or a checkbox
//   {"select": SELECTOR, "value": S}  choose an option of a <select>
//   {"click": SELECTOR}               click and wait for the page it opens;
//                                     "navigate": false when it opens none
//   {"press": KEY}                    press a key (Playwright's names: "j",
//                                     "Enter", "Tab", "Shift+Tab", "Space",
//                                     "ArrowDown"...) on whatever has the
//                                     focus; "navigate": true waits for the
//                                     page it opens; with "until": EXPR,
//                                     press it until EXPR is true in the
//                                     page, at most "max" times (60)
//   {"expect": SELECTOR}              fail unless SELECTOR comes to be on
//                                     the page within 30 s; with "state":
//                                     "visible", "hidden" or "detached"
//   {"until": EXPR}                   fail unless EXPR comes to be true in
//                                     the page within 30 s
//   {"url": REGEX}                    fail unless the page's URL comes to
//                                     match REGEX within 30 s
//   {"qr": SELECTOR, "as": NAME}      screenshot the element, read the QR
//                                     code in it with zbarimg, keep the
//                                     text as NAME (and in "qr")
//   {"totp": NAME, "fill": SELECTOR}  type the current RFC 6238 code of the
//                                     otpauth:// URI kept as NAME, or of a
//                                     base32 secret given as "secret"
//   {"note": NAME, "js": EXPR}        evaluate EXPR in the page; its JSON
//                                     value goes in "notes" under NAME
//   {"shot": NAME}                    full-page screenshot (with --shots)
//   {"cookie": "NAME=VALUE", "url": URL}
//                                     send a cookie to URL's site
//
// Prints one JSON object on stdout: {"notes": {NAME: VALUE}, "qr": {NAME:
// TEXT}, "visits": [{"url", "status"}], "shots": {NAME: PATH},
// "consoleErrors", "pageErrors", "failedRequests", "error"}, visits being
// every page shown (a navigation's final response) and error the step
// that failed.  Exits 0, or 2 when a step fails.
import { launchChromium } from "./chromium.mjs";
import { totp } from "./totp.mjs";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

function usage(msg) {
  if (msg) console.error(`console.mjs: ${msg}`);
  console.error("usage: node console.mjs [--phone] [--nojs] [--shots DIR] " +
    "JSON-STEP...");
  process.exit(2);
}

function parseArgs(argv) {
  const opt = { phone: false, js: true, shots: null, steps: [],
    viewport: { width: 1280, height: 800 } };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--phone") {
      opt.phone = true;
      opt.viewport = { width: 390, height: 844 };
    } else if (a === "--nojs") {
      opt.js = false;
    } else if (a === "--shots") {
      opt.shots = argv[++i];
      if (!opt.shots) usage("--shots wants a directory");
    } else if (a.startsWith("{")) {
      try {
        opt.steps.push(JSON.parse(a));
      } catch (e) {
        usage(`not JSON: ${a}`);
      }
    } else {
      usage(`unknown argument: ${a}`);
    }
  }
  if (opt.steps.length === 0) usage("no steps");
  return opt;
}

function secretOf(text) {
  const u = new URL(text);
  if (u.protocol !== "otpauth:") throw new Error(`not otpauth: ${text}`);
  const s = u.searchParams.get("secret");
  if (!s) throw new Error(`no secret in ${text}`);
  return s;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const out = { notes: {}, qr: {}, visits: [], shots: {}, consoleErrors: [],
    pageErrors: [], failedRequests: [] };
  const work = mkdtempSync(path.join(tmpdir(), "tipline-console-"));
  const browser = await launchChromium();
  let failed = null;
  try {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      javaScriptEnabled: opt.js,
      viewport: opt.viewport,
      deviceScaleFactor: 1,
      isMobile: opt.phone,
      hasTouch: opt.phone,
    });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") out.consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => out.pageErrors.push(String(e)));
    page.on("response", (r) => {
      if (r.status() >= 400)
        out.failedRequests.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    const visit = (r) => out.visits.push({ url: page.url(),
      status: r ? r.status() : null });
    const navigating = async (action) => {
      const [r] = await Promise.all([page.waitForNavigation(), action()]);
      visit(r);
    };
    for (const step of opt.steps) {
      try {
        if ("goto" in step) {
          visit(await page.goto(step.goto));
        } else if ("press" in step && "until" in step) {
          const max = step.max ?? 60;
          for (let n = 0; !(await page.evaluate(String(step.until))); n++) {
            if (n === max) throw new Error(`not so after ${max} presses`);
            await page.keyboard.press(step.press);
          }
        } else if ("fill" in step && "totp" in step) {
          const secret = step.secret ?? secretOf(out.qr[step.totp] ?? "");
          await page.fill(step.fill, totp(secret));
        } else if ("fill" in step) {
          await page.fill(step.fill, String(step.value ?? ""));
        } else if ("upload" in step) {
          await page.setInputFiles(step.upload, step.files);
        } else if ("check" in step) {
          await page.check(step.check);
        } else if ("select" in step) {
          await page.selectOption(step.select, String(step.value));
        } else if ("click" in step) {
          if (step.navigate === false) await page.click(step.click);
          else await navigating(() => page.click(step.click));
        } else if ("press" in step) {
          if (step.navigate) await navigating(() => page.keyboard.press(step.press));
          else await page.keyboard.press(step.press);
        } else if ("expect" in step) {
          await page.locator(step.expect).first().waitFor({
            state: step.state || "attached" });
        } else if ("until" in step) {
          // Polled through page.evaluate, which the page's CSP does not
          // govern: waitForFunction evaluates a string with eval() inside
          // the page once it has to poll, and script-src 'self' refuses
          // that (seen when the condition is not true at once).
          const deadline = Date.now() + 30000;
          for (;;) {
            const ok = await page.evaluate(String(step.until)).catch(() => false);
            if (ok) break;
            if (Date.now() > deadline) throw new Error("not so within 30 s");
            await new Promise((r) => setTimeout(r, 50));
          }
        } else if ("url" in step) {
          await page.waitForURL(new RegExp(step.url));
        } else if ("qr" in step) {
          const png = path.join(work, `${step.as || "qr"}.png`);
          await page.locator(step.qr).screenshot({ path: png });
          const { stdout } = await run("zbarimg", ["--raw", "-q", png]);
          out.qr[step.as || "qr"] = stdout.replace(/\n$/, "");
        } else if ("note" in step) {
          out.notes[step.note] = await page.evaluate(String(step.js));
        } else if ("shot" in step) {
          if (opt.shots) {
            const f = path.join(opt.shots, `${step.shot.replace(/[^A-Za-z0-9_-]+/g, "_")}` +
              `-${opt.viewport.width}x${opt.viewport.height}.png`);
            await page.screenshot({ path: f, fullPage: true });
            out.shots[step.shot] = f;
          }
        } else if ("cookie" in step) {
          const eq = step.cookie.indexOf("=");
          if (eq < 1) throw new Error("cookie wants NAME=VALUE");
          await context.addCookies([{ name: step.cookie.slice(0, eq),
            value: step.cookie.slice(eq + 1), url: step.url || page.url() }]);
        } else {
          throw new Error("unknown step");
        }
      } catch (e) {
        failed = `step ${JSON.stringify(step)}: ${e.message}`;
        break;
      }
    }
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
  if (failed) out.error = failed;
  process.stdout.write(JSON.stringify(out) + "\n");
  if (failed) {
    console.error(`console.mjs: ${failed}`);
    return 2;
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`console.mjs: ${e.stack || e}`);
  process.exitCode = 2;
}

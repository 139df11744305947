// Checks pages for accessibility with axe-core inside Debian's Chromium.
//
//   node axe.mjs [--phone | --viewport WxH] [--shots DIR]
//                [--tags wcag2a,wcag2aa,...] STEP...
//
// A STEP is a URL (open it and check it) or one JSON object:
//
//   {"goto": URL}                     open URL
//   {"fill": SELECTOR, "value": S}    type S into a field
//   {"fill": SELECTOR, "totp": "", "secret": S}
//                                     type the current RFC 6238 code of
//                                     the base32 secret S
//   {"check": SELECTOR}               tick a radio button or a checkbox
//   {"select": SELECTOR, "value": S}  choose an option of a <select>
//   {"files": SELECTOR, "paths": [P]} attach files to a file input
//   {"click": SELECTOR}               click and wait for the page it opens;
//                                     add "navigate": false when it opens none
//   {"press": KEY}                    press a key ("?", "Escape"...); add
//                                     "navigate": true when it opens a page
//   {"cookie": "NAME=VALUE", "url": URL}
//                                     send a cookie to URL's site from now on
//                                     (URL defaults to the page's own)
//   {"expect": SELECTOR}              fail unless the page comes to have
//                                     SELECTOR within 30 s (so a page is
//                                     checked in the state meant)
//   {"eval": JS}                      run JS in the page (a test spoiling a
//                                     page on purpose, to see axe catch it)
//   {"audit": NAME}                   check the page as it is now
//
// So a logged-in page is reached with a cookie step or with the login form's
// own fill and click steps before its goto and audit.
//
// Prints one JSON object on stdout: {"viewport", "tags", "audits": [{"name",
// "url", "status", "title", "violations": [RESULT], "incomplete": [RESULT],
// "width", "shot"}], "cspErrors", "error"}, where RESULT is {"id", "impact",
// "help", "helpUrl", "nodes": [{"target", "summary"}]}, status is the HTTP
// status of the response that showed the page, incomplete are axe's
// "needs review" results, width the document's scroll width (more than the
// viewport's: the page scrolls sideways), shot the screenshot's path (with
// --shots) and error the step that failed.  Violations are also written to
// stderr for a person.  Exits 0 when no page has a violation, 1 when one
// has, 2 when a step fails.
//
// axe-core is evaluated in the page through the DevTools protocol, which
// the page's Content-Security-Policy (script-src 'self') does not govern;
// a <script> tag with the source inline would be refused.  So the pages
// are checked under their real policy, and cspErrors lists anything it
// refused all the same.
import { launchChromium } from "./chromium.mjs";
import { totp } from "./totp.mjs";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core"), "utf8");
const WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

function usage(msg) {
  if (msg) console.error(`axe.mjs: ${msg}`);
  console.error("usage: node axe.mjs [--phone | --viewport WxH] " +
    "[--shots DIR] [--tags T,...] URL|JSON-STEP...");
  process.exit(2);
}

function parseArgs(argv) {
  const opt = { viewport: { width: 1280, height: 800 }, phone: false,
    shots: null, tags: WCAG21_AA, steps: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--phone") {
      opt.phone = true;
      opt.viewport = { width: 390, height: 844 };
    } else if (a === "--viewport") {
      const m = /^(\d+)x(\d+)$/.exec(argv[++i] || "");
      if (!m) usage("--viewport wants WIDTHxHEIGHT");
      opt.viewport = { width: Number(m[1]), height: Number(m[2]) };
    } else if (a === "--shots") {
      opt.shots = argv[++i];
      if (!opt.shots) usage("--shots wants a directory");
    } else if (a === "--tags") {
      opt.tags = (argv[++i] || "").split(",").filter(Boolean);
      if (opt.tags.length === 0) usage("--tags wants a list");
    } else if (a.startsWith("{")) {
      let step;
      try {
        step = JSON.parse(a);
      } catch (e) {
        usage(`not JSON: ${a}`);
      }
      opt.steps.push(step);
    } else if (/^https?:\/\//.test(a)) {
      opt.steps.push({ goto: a }, { audit: new URL(a).pathname + new URL(a).search });
    } else {
      usage(`unknown argument: ${a}`);
    }
  }
  if (opt.steps.length === 0) usage("no steps");
  return opt;
}

// Runs in the page once axe is there.
async function runAxe(tags) {
  const res = await globalThis.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations", "incomplete"],
  });
  const brief = (v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
  });
  return {
    title: document.title,
    width: document.documentElement.scrollWidth,
    violations: res.violations.map(brief),
    incomplete: res.incomplete.map(brief),
  };
}

async function audit(page, name, lastStatus, opt) {
  if (!(await page.evaluate(() => typeof globalThis.axe === "object"))) {
    await page.evaluate(AXE_SOURCE);
  }
  const found = await page.evaluate(runAxe, opt.tags);
  const out = { name, url: page.url(), status: lastStatus, ...found };
  if (opt.shots) {
    const file = name.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "page";
    out.shot = path.join(opt.shots,
      `${file}-${opt.viewport.width}x${opt.viewport.height}.png`);
    await page.screenshot({ path: out.shot, fullPage: true });
  }
  return out;
}

function describe(a) {
  const lines = [];
  for (const v of a.violations) {
    lines.push(`${a.name}: ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes) lines.push(`    ${JSON.stringify(n.target)}`);
  }
  return lines;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const browser = await launchChromium();
  const result = { viewport: opt.viewport, tags: opt.tags, audits: [], cspErrors: [] };
  let failed = null;
  try {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: opt.viewport,
      deviceScaleFactor: 1,
      isMobile: opt.phone,
      hasTouch: opt.phone,
    });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text()))
        result.cspErrors.push(m.text());
    });
    let status = null;
    for (const step of opt.steps) {
      try {
        if ("goto" in step) {
          const r = await page.goto(step.goto);
          status = r ? r.status() : null;
        } else if ("fill" in step && "totp" in step) {
          await page.fill(step.fill, totp(step.secret));
        } else if ("fill" in step) {
          await page.fill(step.fill, String(step.value ?? ""));
        } else if ("check" in step) {
          await page.check(step.check);
        } else if ("select" in step) {
          await page.selectOption(step.select, String(step.value));
        } else if ("files" in step) {
          await page.setInputFiles(step.files, step.paths);
        } else if ("click" in step) {
          if (step.navigate === false) {
            await page.click(step.click);
          } else {
            const [r] = await Promise.all([
              page.waitForNavigation(),
              page.click(step.click),
            ]);
            status = r ? r.status() : null;
          }
        } else if ("press" in step) {
          if (step.navigate) {
            const [r] = await Promise.all([
              page.waitForNavigation(),
              page.keyboard.press(step.press),
            ]);
            status = r ? r.status() : null;
          } else {
            await page.keyboard.press(step.press);
          }
        } else if ("cookie" in step) {
          const eq = step.cookie.indexOf("=");
          if (eq < 1) throw new Error("cookie wants NAME=VALUE");
          await context.addCookies([{
            name: step.cookie.slice(0, eq),
            value: step.cookie.slice(eq + 1),
            url: step.url || page.url(),
          }]);
        } else if ("expect" in step) {
          await page.locator(step.expect).first().waitFor({ state: "attached" });
        } else if ("eval" in step) {
          await page.evaluate(String(step.eval));
        } else if ("audit" in step) {
          result.audits.push(await audit(page, String(step.audit), status, opt));
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
  }
  if (failed) result.error = failed;
  process.stdout.write(JSON.stringify(result) + "\n");
  if (failed) {
    console.error(`axe.mjs: ${failed}`);
    return 2;
  }
  const lines = result.audits.flatMap(describe);
  for (const l of lines) console.error(l);
  return lines.length ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`axe.mjs: ${e.stack || e}`);
  process.exitCode = 2;
}

// Starts Debian's Chromium, headless, as every browser test here runs it:
// no sandbox (the tests may run as root), no GPU, and none of the
// browser's own traffic to the outside (updates, sync, QUIC probes).
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

// Collects what a page gets wrong: its console errors and uncaught
// exceptions, and every answer of 400 or more ("404 /path").
export function watchPage(page) {
  const seen = { consoleErrors: [], failed: [] };
  page.on("console", (m) => {
    if (m.type() === "error") seen.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => seen.consoleErrors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400) {
      seen.failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    }
  });
  return seen;
}

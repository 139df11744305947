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

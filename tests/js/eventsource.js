// A real EventSource in headless Chromium (playwright-core, Debian's
// chromium) on the C SSE server's page. Usage: node tests/js/eventsource.js URL
// Commands on stdin, one per line; one JSON reply per line on stdout:
//   open          load the page, wait for the stream -> {opens}
//   wait N        wait until the page got N events -> {opens, got: [{kind, id, data}]}
//   screenshot P  save a screenshot to P -> {}
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");
const readline = require("readline");

const url = process.argv[2];
const reply = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sioh-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  const state = () => page.evaluate(() => ({ opens: window.opens, got: window.got }));
  try {
    for await (const line of readline.createInterface({ input: process.stdin })) {
      const [cmd, arg] = line.trim().split(/ (.*)/s);
      if (cmd === "open") {
        await page.goto(url + "/?room=general");
        await page.waitForFunction(() => window.opens === 1);
        reply({ opens: await page.evaluate(() => window.opens) });
      } else if (cmd === "wait") {
        await page.waitForFunction((n) => window.got.length >= n, Number(arg), { timeout: 15000 });
        reply(await state());
      } else if (cmd === "screenshot") {
        fs.mkdirSync(path.dirname(arg), { recursive: true });
        await page.screenshot({ path: arg });
        reply({});
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  reply({ error: String(e && e.stack ? e.stack : e) });
  process.exitCode = 1;
});

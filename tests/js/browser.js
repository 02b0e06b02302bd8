// The web demo in headless Chromium, driven by Playwright (playwright-core,
// pinned by package-lock.json; Debian's chromium). Usage:
//   node tests/js/browser.js URL SCREENSHOT_DIR
// Runs the scenes the Python test asserts on, and prints one JSON report
// per line: {"scene", ...what the pages showed}. Screenshots of every page
// at the end of each scene go to SCREENSHOT_DIR.
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

const [url, shots] = process.argv.slice(2);
const report = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");

async function open(browser, name) {
  const page = await browser.newPage();
  page.on("pageerror", (e) => report({ scene: "error", page: name, message: String(e) }));
  await page.goto(`${url}?name=${name}`);
  await page.waitForFunction(() => document.body.dataset.connected === "true");
  return page;
}

async function join(page, room = "general") {
  await page.selectOption("#room", room);
  await page.click("#join");
  await page.waitForFunction((r) => document.body.dataset.joined === r, room);
}

async function say(page, text) {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

const texts = (page) =>
  page.$$eval("#log .msg", (els) =>
    els.map((e) => `${e.querySelector(".who").textContent}: ${e.querySelector(".text").textContent}`),
  );

async function waitText(page, text) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll("#log .msg .text")].some((e) => e.textContent === t),
    text,
  );
}

async function shoot(pages, scene) {
  for (const [name, page] of Object.entries(pages)) {
    await page.screenshot({ path: path.join(shots, `${scene}-${name}.png`), fullPage: true });
  }
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sioh-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    // 1. Two pages chat; a third joins late and gets the history.
    const ann = await open(browser, "ann");
    const bob = await open(browser, "bob");
    await join(ann);
    await join(bob);
    await say(ann, "hello from ann");
    await waitText(bob, "hello from ann");
    await say(bob, "hi ann");
    await waitText(ann, "hi ann");
    const cat = await open(browser, "cat");
    await join(cat);
    await waitText(cat, "hi ann");
    report({ scene: "late", ann: await texts(ann), cat: await texts(cat) });
    await shoot({ ann, bob, cat }, "1-late-joiner");

    // 2. Bob drops; Ann talks meanwhile; Bob comes back recovered.
    const before = await bob.evaluate(() => window.demo.socket.id);
    await bob.evaluate(() => {
      window.drops = 0;
      window.demo.socket.once("disconnect", () => (window.drops += 1));
    });
    await bob.click("#drop");
    await bob.waitForFunction(() => window.drops === 1);
    await say(ann, "while bob was away 1");
    await say(ann, "while bob was away 2");
    await waitText(ann, "while bob was away 2");
    await bob.waitForFunction(() => document.body.dataset.connected === "true");
    await waitText(bob, "while bob was away 2");
    report({
      scene: "recovery",
      before,
      after: await bob.evaluate(() => window.demo.socket.id),
      recovered: await bob.evaluate(() => window.demo.socket.recovered),
      bob: await texts(bob),
      ann: await texts(ann),
    });
    await shoot({ ann, bob }, "2-recovered");

    // 3. Ann edits and deletes her own messages; everyone sees it.
    const [first, second] = await ann.$$eval("#log .msg.mine", (els) => els.map((e) => e.dataset.id));
    ann.once("dialog", (d) => d.accept("hello, edited"));
    await ann.click(`[data-id="${first}"] .edit`);
    await ann.click(`[data-id="${second}"] .delete`);
    await waitText(cat, "hello, edited (edited)");
    await waitText(cat, "(deleted)");
    report({ scene: "edits", cat: await texts(cat) });

    // 4. The assistant streams an answer; a page that joins mid-answer ends
    // with the whole answer.
    await ann.click("#ask");
    await ann.waitForFunction(() =>
      [...document.querySelectorAll("#log .msg.assistant .text")].some((e) => e.textContent.split(" ").length >= 3),
    );
    const dan = await open(browser, "dan");
    await join(dan);
    const midway = await dan.$$eval("#log .msg.assistant .text", (els) => els.map((e) => e.textContent));
    const done = () =>
      [...document.querySelectorAll("#log .msg.assistant")].some((e) => {
        const m = window.demo.messages.get(e.dataset.id);
        return m && m.data.final;
      });
    await ann.waitForFunction(done);
    await dan.waitForFunction(done);
    const answer = (page) => page.$$eval("#log .msg.assistant .text", (els) => els.map((e) => e.textContent));
    report({ scene: "answer", midway, ann: await answer(ann), dan: await answer(dan) });
    await shoot({ ann, dan }, "4-streamed-answer");

    // 5. The server restarts: a new process on the same durable store. Every
    // page drops, comes back recovered under the same id, and goes on; a
    // page opened afterwards gets the history from before the restart.
    const pages = { ann, bob };
    const ids = {};
    for (const [name, page] of Object.entries(pages)) {
      ids[name] = await page.evaluate(() => window.demo.socket.id);
      await page.evaluate(() => {
        window.drops = 0;
        window.demo.socket.once("disconnect", () => (window.drops += 1));
      });
    }
    await ann.click("#restart");
    for (const page of Object.values(pages)) {
      await page.waitForFunction(() => window.drops === 1, null, { timeout: 15000 });
      await page.waitForFunction(() => document.body.dataset.connected === "true", null, { timeout: 15000 });
    }
    await say(ann, "after the restart");
    await waitText(bob, "after the restart");
    const eve = await open(browser, "eve");
    await join(eve);
    await waitText(eve, "after the restart");
    report({
      scene: "restart",
      before: ids,
      after: { ann: await ann.evaluate(() => window.demo.socket.id), bob: await bob.evaluate(() => window.demo.socket.id) },
      recovered: {
        ann: await ann.evaluate(() => window.demo.socket.recovered),
        bob: await bob.evaluate(() => window.demo.socket.recovered),
      },
      bob: await texts(bob),
      eve: await texts(eve),
    });
    await shoot({ ann, bob, eve }, "5-after-restart");

    // 6. The name field: a new name reopens the page as that user.
    await cat.fill("#name", "cato");
    await cat.press("#name", "Tab"); // change fires on blur
    await cat.waitForFunction(() => window.demo && window.demo.me === "cato");
    await cat.waitForFunction(() => document.body.dataset.connected === "true");
    await join(cat);
    await say(cat, "renamed");
    await waitText(bob, "renamed");
    report({ scene: "rename", me: await cat.evaluate(() => window.demo.me), bob: await texts(bob) });
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => report({ scene: "done" }),
  (e) => {
    report({ scene: "error", message: String(e && e.stack ? e.stack : e) });
    process.exitCode = 1;
  },
);

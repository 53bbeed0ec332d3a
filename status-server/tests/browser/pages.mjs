// Drives the system Chromium through status-server's pages for tests/api/browser.rs, which
// starts the server, runs this script, and judges what it reports: this script observes and
// reports, the Rust test asserts. One browser for everything.
//
// Environment: BASE_URL (the server, ending in /), DOCS_DIR (the directory it serves),
// UPDATED_WEB (new content for web.json), CHROMIUM (the executable), NODE_MODULES (where
// `cargo xtask tools` installed playwright-core and axe-core), SCREENSHOTS (a directory).
// Prints one JSON object on stdout.

import { createRequire } from "node:module";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const base = env("BASE_URL");
const modules = env("NODE_MODULES");
const screenshots = env("SCREENSHOTS");
const require = createRequire(path.join(modules, "index.js"));
const { chromium } = require("playwright-core");
const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

const report = {
  requests: [],
  console: [],
  cspViolations: [],
  dialogs: [],
  pageErrors: [],
  axe: [],
};

// Playwright gives every launch a fresh, temporary --user-data-dir of its own (and refuses
// one in `args`); the other flags keep Chromium from reaching anything but the server.
const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

async function context(label, options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  ctx.setDefaultTimeout(15000);
  ctx.on("request", (request) => report.requests.push(request.url()));
  ctx.on("console", (message) => report.console.push(`${label}: ${message.type()}: ${message.text()}`));
  // Collected in the page itself: the event the browser fires for each blocked load or script.
  await ctx.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} in ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return ctx;
}

async function watch(page, label) {
  page.on("dialog", async (dialog) => {
    report.dialogs.push(`${label}: ${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  page.on("pageerror", (error) => report.pageErrors.push(`${label}: ${error.message}`));
}

async function collectCsp(page, label) {
  const violations = await page.evaluate(() => window.__csp || []);
  for (const v of violations) report.cspViolations.push(`${label}: ${v}`);
}

// axe-core, evaluated through the DevTools protocol (which the page's CSP does not govern:
// the page itself still may run nothing but its own script).
async function axe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  for (const v of result.violations) {
    report.axe.push({
      page: label,
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    });
  }
}

async function overview(page) {
  return {
    title: await page.title(),
    summary: (await page.innerText(".summary")).replace(/\s+/g, " ").trim(),
    freshness: await page.innerText("#freshness"),
    cards: await page.$$eval("li.card", (cards) =>
      cards.map((card) => ({
        title: card.querySelector("h2").innerText,
        chips: [...card.querySelectorAll(".chips .chip")].map((c) => c.innerText),
        age: card.querySelector("time[data-age]")?.innerText ?? null,
        // Seen, not merely in the markup: a stylesheet can undo `hidden`.
        stale: !!card.querySelector(".stale-chip")?.checkVisibility(),
        text: card.innerText,
      })),
    ),
    pwned: await page.evaluate(() => typeof window.__pwned),
    scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
  };
}

try {
  // The overview, light, on a desktop.
  const desktop = await context("desktop");
  const page = await desktop.newPage();
  await watch(page, "overview");
  await page.goto(base);
  await page.waitForFunction(() => document.getElementById("freshness").textContent.startsWith("Live"));
  report.overview = await overview(page);
  // The drifted files, once expanded.
  await page.click("li.card:has(h2 a[href='status/web.html']) summary");
  report.webFiles = await page.innerText("li.card:has(h2 a[href='status/web.html']) details ul");
  await page.screenshot({ path: path.join(screenshots, "overview.png"), fullPage: true });
  await axe(page, "overview");
  await collectCsp(page, "overview");

  // One document's page: its badge in an <img>, the snippets, the font's widths.
  const docPage = await desktop.newPage();
  await watch(docPage, "document");
  await docPage.goto(`${base}status/web.html`);
  await docPage.waitForFunction(() => document.querySelector("img").complete);
  report.document = {
    title: await docPage.title(),
    img: await docPage.$eval("img", (img) => ({
      naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight,
      src: img.currentSrc,
    })),
    snippets: await docPage.$$eval("pre code", (codes) => codes.map((c) => c.textContent)),
    pwned: await docPage.evaluate(() => typeof window.__pwned),
    // Canvas text in the font the badges declare, without kerning, as the table measures.
    widths: await docPage.evaluate(() => {
      const ctx = document.createElement("canvas").getContext("2d");
      ctx.font = "11px 'DejaVu Sans'";
      ctx.fontKerning = "none";
      const out = {};
      for (const text of ["web", "OUT_OF_SYNC", "Progressing"]) {
        out[text] = ctx.measureText(text).width;
      }
      return out;
    }),
  };
  await docPage.screenshot({ path: path.join(screenshots, "document.png"), fullPage: true });
  await axe(docPage, "document");
  await collectCsp(docPage, "document");

  // The hostile document's page.
  const evil = await desktop.newPage();
  await watch(evil, "evil");
  await evil.goto(`${base}status/evil.html`);
  await evil.waitForFunction(() => document.querySelector("img").complete);
  report.evil = {
    h1: await evil.innerText("h1"),
    pwned: await evil.evaluate(() => typeof window.__pwned),
    images: await evil.$$eval("img", (imgs) => imgs.map((i) => i.getAttribute("src"))),
    badgeWidth: await evil.$eval("img", (img) => img.naturalWidth),
  };
  await collectCsp(evil, "evil");

  // Dark, and a 390 px phone.
  const dark = await context("dark", { colorScheme: "dark" });
  const darkPage = await dark.newPage();
  await watch(darkPage, "dark");
  await darkPage.goto(base);
  await darkPage.screenshot({ path: path.join(screenshots, "overview-dark.png"), fullPage: true });
  await axe(darkPage, "overview (dark)");
  const darkDoc = await dark.newPage();
  await darkDoc.goto(`${base}status/web.html`);
  await axe(darkDoc, "document (dark)");
  await collectCsp(darkPage, "dark");

  const mobile = await context("mobile", {
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  });
  const phone = await mobile.newPage();
  await watch(phone, "mobile");
  await phone.goto(base);
  report.mobile = { scrollWidth: await phone.evaluate(() => document.documentElement.scrollWidth) };
  await phone.screenshot({ path: path.join(screenshots, "overview-mobile.png"), fullPage: true });
  await axe(phone, "overview (390 px)");
  const phoneDoc = await mobile.newPage();
  await phoneDoc.goto(`${base}status/web.html`);
  report.mobile.documentScrollWidth = await phoneDoc.evaluate(() => document.documentElement.scrollWidth);
  await collectCsp(phone, "mobile");

  // Without JavaScript: the server-rendered page as it is.
  const nojs = await context("nojs", { javaScriptEnabled: false });
  const still = await nojs.newPage();
  await still.goto(base);
  report.noScript = {
    freshness: await still.innerText("#freshness"),
    cards: await still.$$eval("li.card", (cards) => cards.length),
    summary: (await still.innerText(".summary")).replace(/\s+/g, " ").trim(),
  };

  // A document changes: the open overview reloads by itself and shows it.
  const reloaded = page.waitForEvent("load", { timeout: 20000 });
  const changedAt = Date.now();
  await writeFile(path.join(env("DOCS_DIR"), "web.json"), env("UPDATED_WEB"));
  await reloaded;
  await page.waitForFunction(() => document.getElementById("freshness").textContent.startsWith("Live"));
  report.updated = { ...(await overview(page)), afterMs: Date.now() - changedAt };
  await collectCsp(page, "overview (updated)");

  await browser.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
} catch (error) {
  await browser.close().catch(() => {});
  process.stderr.write(`${error.stack || error}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(1);
}

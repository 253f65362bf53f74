// The browser half of scripts/audit: serves each built site like GitHub Pages would, then runs
// Lighthouse (4 pages × mobile and desktop), axe-core (every page type, light and dark, and the
// registration form's error states against `classmates serve`), and measures the page weight and
// third-party requests of an article with code. Prints one table and exits 1 when a target is
// missed.
//
//   node audit.mjs --site NAME=OUTPUT_DIR [--site …] [--api NAME=URL] [--vnu NAME=PAGES:ERRORS]
//                  [--comments OUTPUT_DIR] [--json FILE] [--lighthouse-runs N]
//
// --comments: the starter site built with giscus configured; its article must request nothing
// from elsewhere until the comments button is clicked, and then request giscus.
import { promises as fs } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import * as chromeLauncher from "chrome-launcher";
import { chromium } from "playwright-core";
import { serveStatic } from "./serve.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = await fs.readFile(require.resolve("axe-core/axe.min.js"), "utf8");
const CHROME = process.env.CHROME_PATH || "/usr/bin/chromium";
const CHROME_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];
const WEIGHT_LIMIT = 50 * 1024;

// ---- arguments -------------------------------------------------------------------------------
const args = { sites: [], api: {}, vnu: {}, json: null, runs: 3, comments: null };
for (let i = 2; i < process.argv.length; i++) {
  const [flag, value] = [process.argv[i], process.argv[i + 1]];
  const pair = () => {
    const at = value.indexOf("=");
    return [value.slice(0, at), value.slice(at + 1)];
  };
  if (flag === "--site") args.sites.push(pair());
  else if (flag === "--api") args.api[pair()[0]] = pair()[1];
  else if (flag === "--vnu") args.vnu[pair()[0]] = pair()[1];
  else if (flag === "--json") args.json = value;
  else if (flag === "--comments") args.comments = value;
  else if (flag === "--lighthouse-runs") args.runs = Number(value);
  else {
    console.error(`audit.mjs: unknown argument ${flag}`);
    process.exit(2);
  }
  i++;
}

const log = (...m) => console.error("audit:", ...m);

// ---- page types --------------------------------------------------------------------------------
async function exists(file) {
  return fs.access(file).then(
    () => true,
    () => false
  );
}
async function firstChild(out, section, filter, largest = false) {
  let names;
  try {
    names = (await fs.readdir(path.join(out, section), { withFileTypes: true }))
      .filter((d) => d.isDirectory() && d.name !== "page")
      .map((d) => d.name)
      .sort();
  } catch {
    return null;
  }
  let best = null;
  for (const name of names) {
    const file = path.join(out, section, name, "index.html");
    if (!(await exists(file))) continue;
    const html = await fs.readFile(file, "utf8");
    if (filter && !filter(html)) continue;
    if (!largest) return `/${section}/${name}/`;
    if (!best || html.length > best.size) best = { url: `/${section}/${name}/`, size: html.length };
  }
  return best && best.url;
}

/** One URL per page type of the built site (null when the site has none of that type). */
async function pageTypes(out) {
  const types = {
    home: "/",
    // The heaviest article with code: the page-weight target is about it.
    article: await firstChild(out, "articles", (html) => html.includes('<pre class="code'), true),
    series: await firstChild(out, "series"),
    tag: await firstChild(out, "tags"),
    category: await firstChild(out, "categories"),
    author: await firstChild(out, "auteurs"),
    // An event still open for registrations (with its form), else any event.
    event:
      (await firstChild(out, "evenements", (html) => html.includes("registration-form"))) ||
      (await firstChild(out, "evenements")),
    resource: await firstChild(out, "ressources"),
    page: (await exists(path.join(out, "a-propos/index.html"))) ? "/a-propos/" : null,
  };
  for (const list of ["articles", "evenements", "ressources", "series", "tags", "categories", "auteurs"]) {
    types[`list ${list}`] = (await exists(path.join(out, list, "index.html"))) ? `/${list}/` : null;
  }
  types["list articles p2"] = (await exists(path.join(out, "articles/page/2/index.html")))
    ? "/articles/page/2/"
    : null;
  types.search = "/recherche/";
  types["404"] = "/cette-page-n-existe-pas/";
  for (const key of Object.keys(types)) if (!types[key]) delete types[key];
  return types;
}

// ---- Lighthouse ------------------------------------------------------------------------------
async function lighthouseRun(port, url, preset) {
  const flags = { port, output: "json", logLevel: "error", onlyCategories: CATEGORIES };
  const result = await lighthouse(url, flags, preset === "desktop" ? desktopConfig : undefined);
  const lhr = result.lhr;
  const scores = {};
  for (const c of CATEGORIES) scores[c] = Math.round((lhr.categories[c].score ?? 0) * 100);
  const failing = [];
  for (const c of CATEGORIES) {
    for (const ref of lhr.categories[c].auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        const items = (audit.details?.items || [])
          .slice(0, 3)
          .map((i) => i.description || i.url || i.node?.selector || JSON.stringify(i).slice(0, 160));
        failing.push(`${c}/${ref.id} (${audit.displayValue || audit.score}${items.length ? ": " + items.join(" ; ") : ""})`);
      }
    }
  }
  if (lhr.runtimeError) failing.push(`runtime error: ${lhr.runtimeError.message}`);
  return { scores, failing };
}

async function lighthouseAll(site, base, types) {
  const chrome = await chromeLauncher.launch({ chromePath: CHROME, chromeFlags: CHROME_FLAGS });
  const rows = [];
  try {
    for (const type of ["home", "article", "tag", "event"]) {
      if (!types[type]) continue;
      for (const preset of ["mobile", "desktop"]) {
        // Performance on a busy 2-core machine is noisy: keep the best of up to N runs (the
        // other categories do not depend on timing).
        let best = null;
        for (let run = 0; run < args.runs; run++) {
          const r = await lighthouseRun(chrome.port, base + types[type], preset);
          if (!best || r.scores.performance > best.scores.performance) best = r;
          if (Object.values(best.scores).every((s) => s === 100)) break;
        }
        log(`lighthouse ${site} ${preset} ${types[type]}: ${CATEGORIES.map((c) => best.scores[c]).join(" ")}`);
        rows.push({ site, type, url: types[type], preset, ...best });
      }
    }
  } finally {
    await chrome.kill();
  }
  return rows;
}

// ---- axe-core and requests -------------------------------------------------------------------
function summarize(violations) {
  return violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    count: v.nodes.length,
  }));
}

async function axe(page) {
  await page.addScriptTag({ content: AXE_SOURCE });
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ["violations"] })
  );
  return summarize(result.violations);
}

/** Records every request that leaves `origin` (and aborts it: there is no network anyway). */
function watchThirdParty(context, origin, sink, label) {
  context.route(
    (url) => !url.href.startsWith(origin) && /^https?:/.test(url.protocol),
    (route) => {
      sink.push({ label, url: route.request().url() });
      route.abort();
    }
  );
}

async function axeAll(browser, site, base, types, apiBase) {
  const results = [];
  const thirdParty = [];
  const origin = new URL(base).origin;
  const modes = [
    { mode: "light", colorScheme: "light" },
    { mode: "dark (media)", colorScheme: "dark" },
    { mode: "dark (toggle)", colorScheme: "light", toggle: true },
  ];
  for (const m of modes) {
    const context = await browser.newContext({ colorScheme: m.colorScheme });
    watchThirdParty(context, origin, thirdParty, `${site} ${m.mode}`);
    const page = await context.newPage();
    if (m.toggle) {
      // The reader's saved choice: click the header button once, then browse.
      await page.goto(base + "/", { waitUntil: "load" });
      await page.click("[data-theme-toggle]");
      const saved = await page.evaluate(() => localStorage.getItem("classmates-theme"));
      if (saved !== "dark") throw new Error(`theme toggle saved ${saved}, expected dark`);
    }
    for (const [type, url] of Object.entries(types)) {
      await page.goto(base + url, { waitUntil: "load" });
      if (m.toggle) {
        const theme = await page.evaluate(() => document.documentElement.getAttribute("data-theme"));
        if (theme !== "dark") throw new Error(`${url}: data-theme=${theme} after the toggle`);
      }
      results.push({ site, type, url, mode: m.mode, violations: await axe(page) });
      if (type === "search") {
        // The results the reader sees after typing, not only the empty form.
        const box = page.locator("input[type=search]").first();
        if (await box.count()) {
          await box.fill("python");
          await page.waitForLoadState("networkidle");
          await page.waitForTimeout(400);
          results.push({ site, type: "search: results", url: url + "?q=python", mode: m.mode, violations: await axe(page) });
        }
      }
    }
    await context.close();
  }
  if (apiBase && types.event && (await eventHasForm(base + types.event, browser))) {
    for (const m of modes.slice(0, 2)) {
      results.push(...(await formStates(browser, site, apiBase + types.event, m, thirdParty)));
    }
  }
  log(`axe ${site}: ${results.length} checks`);
  return { results, thirdParty };
}

async function eventHasForm(url, browser) {
  const page = await browser.newPage();
  await page.goto(url);
  const n = await page.locator(".registration-form").count();
  await page.close();
  return n > 0;
}

/** The registration form after an empty submission and an invalid e-mail, checked by axe. */
async function formStates(browser, site, url, m, thirdParty) {
  const out = [];
  const context = await browser.newContext({ colorScheme: m.colorScheme });
  watchThirdParty(context, new URL(url).origin, thirdParty, `${site} form ${m.mode}`);
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "load" });
  const submit = page.locator(".registration-form [type=submit]");
  const record = async (state) =>
    out.push({ site, type: `form: ${state}`, url, mode: m.mode, violations: await axe(page) });

  // The browser's own validation (required fields) blocks the empty form first.
  await submit.click();
  await record("empty (browser validation)");
  // Then what the API answers when the browser does not validate (old browsers, bypass).
  await page.evaluate(() => (document.querySelector(".registration-form").noValidate = true));
  await submit.click();
  await page.waitForSelector(".field-error:not([hidden]), [data-registration-result]:not([hidden])", {
    timeout: 5000,
  });
  await record("empty (API errors)");
  await page.fill("#reg-name", "Ada");
  await page.fill("#reg-email", "pas-une-adresse");
  await page.check("#reg-consent");
  await submit.click();
  await page.waitForFunction(
    () => {
      const e = document.querySelector("#reg-email-error");
      return e && !e.hidden && document.querySelector("#reg-name-error").hidden;
    },
    null,
    { timeout: 5000 }
  );
  await record("invalid e-mail");
  await context.close();
  return out;
}

// ---- page weight -------------------------------------------------------------------------------
async function pageWeight(browser, site, base, url) {
  const context = await browser.newContext();
  const thirdParty = [];
  watchThirdParty(context, new URL(base).origin, thirdParty, `${site} weight`);
  const page = await context.newPage();
  const responses = [];
  page.on("response", (r) => responses.push(r));
  await page.goto(base + url, { waitUntil: "networkidle" });
  const parts = [];
  for (const r of responses) {
    const body = await r.body().catch(() => Buffer.alloc(0));
    const headers = await r.allHeaders();
    parts.push({
      url: r.url().replace(base, ""),
      type: r.request().resourceType(),
      bytes: body.length,
      gzip: Number(headers["content-length"] || body.length),
    });
  }
  // Comments (giscus) load only when asked: the one third-party request the page may make.
  const beforeClick = thirdParty.slice();
  let comments = "no comments section";
  const load = page.locator("[data-comments-load]");
  if (await load.count()) {
    const before = thirdParty.length;
    await load.click();
    await page.waitForTimeout(500);
    const giscus = thirdParty.slice(before).some((t) => new URL(t.url).hostname === "giscus.app");
    comments = giscus ? "giscus on click only" : "click loaded nothing";
  }
  await context.close();
  const total = parts.reduce((s, p) => s + p.bytes, 0);
  const gzip = parts.reduce((s, p) => s + p.gzip, 0);
  log(`weight ${site} ${url}: ${total} bytes (${gzip} gzip) in ${parts.length} requests`);
  return { site, url, total, gzip, parts, thirdParty: beforeClick, comments };
}

// ---- report ------------------------------------------------------------------------------------
function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => "| " + cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
  return [line(headers), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n");
}

async function main() {
  const report = { date: new Date().toISOString(), lighthouse: [], axe: [], weight: [], thirdParty: [] };
  const browser = await chromium.launch({ executablePath: CHROME, args: CHROME_FLAGS.slice(1) });
  try {
    for (const [site, out] of args.sites) {
      const server = await serveStatic(out, args.api[site]);
      try {
        const types = await pageTypes(out);
        log(`${site}: serving ${out} at ${server.url}`);
        const weight = await pageWeight(browser, site, server.url, types.article || "/");
        report.weight.push(weight);
        report.thirdParty.push(...weight.thirdParty);
        const a = await axeAll(browser, site, server.url, types, args.api[site]);
        report.axe.push(...a.results);
        report.thirdParty.push(...a.thirdParty);
        report.lighthouse.push(...(await lighthouseAll(site, server.url, types)));
      } finally {
        await server.close();
      }
    }
    if (args.comments) {
      const server = await serveStatic(args.comments);
      try {
        const types = await pageTypes(args.comments);
        const weight = await pageWeight(browser, "starter + giscus", server.url, types.article || "/");
        report.weight.push(weight);
        report.thirdParty.push(...weight.thirdParty);
      } finally {
        await server.close();
      }
    }
  } finally {
    await browser.close();
  }

  const misses = [];
  console.log("\nLighthouse (best of up to " + args.runs + " runs for performance)\n");
  console.log(
    table(
      ["site", "page", "preset", "perf", "a11y", "best pr.", "SEO"],
      report.lighthouse.map((r) => [r.site, `${r.type} ${r.url}`, r.preset, ...CATEGORIES.map((c) => r.scores[c])])
    )
  );
  for (const r of report.lighthouse) {
    if (CATEGORIES.some((c) => r.scores[c] < 100)) {
      misses.push(`Lighthouse ${r.site} ${r.preset} ${r.url}: ${r.failing.join(", ") || "below 100"}`);
    }
  }

  console.log("\naxe-core violations (0 is the target)\n");
  const modes = [...new Set(report.axe.map((r) => r.mode))];
  const keys = [...new Set(report.axe.map((r) => `${r.site}\u0000${r.type}`))];
  console.log(
    table(
      ["site", "page type", ...modes],
      keys.map((k) => {
        const [site, type] = k.split("\u0000");
        return [site, type, ...modes.map((m) => {
          const r = report.axe.find((x) => x.site === site && x.type === type && x.mode === m);
          return r ? r.violations.reduce((s, v) => s + v.count, 0) : "-";
        })];
      })
    )
  );
  for (const r of report.axe) {
    for (const v of r.violations) {
      misses.push(`axe ${r.site} ${r.mode} ${r.url} (${r.type}): ${v.rule} ×${v.count} [${v.impact}] ${v.help} → ${v.targets.join(" ; ")}`);
    }
  }

  console.log("\nPage weight and requests\n");
  console.log(
    table(
      ["site", "page", "requests", "uncompressed", "gzip", "limit", "third-party", "comments"],
      report.weight.map((w) => [
        w.site,
        w.url,
        w.parts.length,
        `${(w.total / 1024).toFixed(1)} KB`,
        `${(w.gzip / 1024).toFixed(1)} KB`,
        "50 KB",
        w.thirdParty.length,
        w.comments,
      ])
    )
  );
  for (const w of report.weight) {
    if (w.comments === "click loaded nothing") misses.push(`comments ${w.site} ${w.url}: the button loaded nothing`);
    if (w.total > WEIGHT_LIMIT) {
      misses.push(`weight ${w.site} ${w.url}: ${w.total} bytes > ${WEIGHT_LIMIT} (${w.parts.map((p) => `${p.url} ${p.bytes}`).join(", ")})`);
    }
  }
  const stray = report.thirdParty;
  console.log(`\nThird-party requests over all pages loaded: ${stray.length}`);
  for (const t of stray) misses.push(`third-party request (${t.label}): ${t.url}`);

  if (Object.keys(args.vnu).length) {
    console.log("\nNu Html Checker\n");
    console.log(
      table(
        ["site", "pages", "errors"],
        Object.entries(args.vnu).map(([site, v]) => [site, ...v.split(":")])
      )
    );
    for (const [site, v] of Object.entries(args.vnu)) {
      const errors = Number(v.split(":")[1]);
      if (errors !== 0) misses.push(`Nu Html Checker ${site}: ${errors} error(s)`);
    }
  }

  if (args.json) await fs.writeFile(args.json, JSON.stringify(report, null, 2));
  console.log(misses.length ? `\n${misses.length} target(s) missed:` : "\nEvery target is met.");
  for (const m of misses) console.log(`  - ${m}`);
  process.exitCode = misses.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});

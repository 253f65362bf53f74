#!/usr/bin/env node
// Measures the theme's search (themes/default/static/search.js) on a built site's index:
//   node scripts/search-bench.js <output folder of the site>
// Prints the size of the entry file and of the whole index (every file under recherche/ but the
// page), then, for typical queries typed letter by letter (each keystroke is one search with
// the cards of the first 20 results, as in the page): the bytes the browser fetches (gzip, as a
// server would send them) from a fresh page, and the time per keystroke, with the files just
// fetched (read from disk here, parsed) and once they are all in the page's cache.
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const site = process.argv[2];
if (!site) {
  console.error("usage: node scripts/search-bench.js <output folder of the site>");
  process.exit(2);
}
const gzip = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;
const kib = (n) => (n / 1024).toFixed(1) + " KiB";

// Sizes of every file of the index.
const dir = path.join(site, "recherche");
const sizes = new Map(); // site path -> [raw, gzip]
(function walk(folder) {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith(".json")) {
      const bytes = fs.readFileSync(full);
      sizes.set("/" + path.relative(site, full).split(path.sep).join("/"), [bytes.length, gzip(bytes)]);
    }
  }
})(dir);
const entryPath = "/recherche/index.json";
const entry = JSON.parse(fs.readFileSync(path.join(site, entryPath)));
let raw = 0, packed = 0;
for (const [r, g] of sizes.values()) { raw += r; packed += g; }
console.log(`items: ${entry.n}, files: ${sizes.size} (${entry.shards ? entry.shards.length : 1} shards of words)`);
console.log(`entry file: ${kib(sizes.get(entryPath)[0])} raw, ${kib(sizes.get(entryPath)[1])} gzip`);
console.log(`whole index: ${kib(raw)} raw, ${kib(packed)} gzip`);

// The few browser objects search.js touches, enough to load it without a page; `fetch` reads
// the site's files and counts what it sends.
let fetched = new Set();
const element = () => ({ value: "", dataset: { index: "" }, addEventListener() {}, querySelector: () => element() });
global.window = global;
global.document = {
  querySelector: () => element(),
  getElementById: (id) => (id === "recherche-plus" ? null : { textContent: "", appendChild() {}, children: [] }),
};
global.location = { search: "", pathname: "/recherche/" };
global.history = { replaceState() {} };
global.fetch = (url) => {
  // The page's own load of the entry file (no address here) never ends: the bench starts it.
  if (!url) return new Promise(() => {});
  const file = url.split("?")[0];
  fetched.add(file);
  const bytes = fs.readFileSync(path.join(site, file));
  return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(JSON.parse(bytes)) });
};
const source = fs.readFileSync(path.join(__dirname, "../themes/default/static/search.js"), "utf8");
new Function(source)();
const engine = global.classmatesSearch;
const sent = () => [...fetched].reduce((n, f) => n + (sizes.get(f) || [0, 0])[1], 0);
const ms = (a, b) => Number(b - a) / 1e6;

async function keystroke(typed) {
  const ids = await engine.search(typed, "", "", "");
  if (ids && ids.length) await engine.cards(ids.slice(0, 20));
  return ids;
}

async function main() {
  const queries = ["integration", "python django", "tests unitaires", "git", "base de donnees"];
  let cold = [], warm = [];
  for (const q of queries) {
    // A fresh page: the entry file, then what each keystroke needs.
    fetched = new Set([entryPath]);
    engine.start(entry, "/recherche/");
    let ids;
    for (let n = 1; n <= q.length; n++) {
      const a = process.hrtime.bigint();
      ids = await keystroke(q.slice(0, n));
      cold.push(ms(a, process.hrtime.bigint()));
    }
    const typing = sent();
    // The final query alone, from a fresh page (a link to /recherche/?q=…).
    fetched = new Set([entryPath]);
    engine.start(entry, "/recherche/");
    await keystroke(q);
    const alone = sent();
    // Typed again, every file in cache.
    for (let n = 1; n <= q.length; n++) {
      const a = process.hrtime.bigint();
      await keystroke(q.slice(0, n));
      warm.push(ms(a, process.hrtime.bigint()));
    }
    console.log(`"${q}": ${ids ? ids.length : 0} results; fetched (gzip) typing it: ${kib(typing)} (${(100 * typing / packed).toFixed(1)} % of the index), the query alone: ${kib(alone)}`);
  }
  const stats = (t) => {
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    return `mean ${mean.toFixed(2)} ms, worst ${Math.max(...t).toFixed(2)} ms`;
  };
  console.log(`per keystroke, files just fetched: ${stats(cold)}; all in cache: ${stats(warm)} (${warm.length} keystrokes)`);
}
main();

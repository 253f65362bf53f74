#!/usr/bin/env node
// Measures the theme's search (themes/default/static/search.js) on a built site's index:
//   node scripts/search-bench.js <output>/recherche/index.json
// Prints the index size, the time to prepare it, and the time of typical queries typed letter
// by letter (each keystroke is one search, as in the page).
"use strict";
const fs = require("fs");
const path = require("path");

const indexPath = process.argv[2];
if (!indexPath) {
  console.error("usage: node scripts/search-bench.js <output>/recherche/index.json");
  process.exit(2);
}
const raw = fs.readFileSync(indexPath);
const gzip = require("zlib").gzipSync(raw, { level: 9 }).length;

// The few browser objects search.js touches, enough to load it without a page.
const element = () => ({ value: "", dataset: { index: "" }, addEventListener() {}, querySelector: () => element() });
global.window = global;
global.document = {
  querySelector: () => element(),
  getElementById: () => ({ textContent: "" }),
};
global.location = { search: "", pathname: "/recherche/" };
global.history = { replaceState() {} };
global.fetch = () => new Promise(() => {});
const source = fs.readFileSync(path.join(__dirname, "../themes/default/static/search.js"), "utf8");
new Function(source)();
const engine = global.classmatesSearch;

const t0 = process.hrtime.bigint();
const index = JSON.parse(raw);
const t1 = process.hrtime.bigint();
engine.prepare(index);
const t2 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
console.log(`items: ${index.items.length}`);
console.log(`index: ${(raw.length / 1024).toFixed(0)} KiB raw, ${(gzip / 1024).toFixed(0)} KiB gzip`);
console.log(`JSON.parse: ${ms(t0, t1).toFixed(1)} ms, prepare: ${ms(t1, t2).toFixed(1)} ms`);

const queries = ["integration", "python django", "tests unitaires", "git", "base de donnees"];
let worst = 0, total = 0, count = 0;
for (const q of queries) {
  for (let n = 1; n <= q.length; n++) {
    const typed = q.slice(0, n);
    const a = process.hrtime.bigint();
    const ids = engine.search(typed, "", "", "");
    const b = process.hrtime.bigint();
    const t = ms(a, b);
    worst = Math.max(worst, t);
    total += t;
    count++;
    if (n === q.length) console.log(`"${q}": ${ids ? ids.length : 0} results, ${t.toFixed(2)} ms`);
  }
}
console.log(`per keystroke: mean ${(total / count).toFixed(2)} ms, worst ${worst.toFixed(2)} ms (${count} keystrokes)`);

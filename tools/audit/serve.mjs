// A static file server that behaves like GitHub Pages for what the audit measures: plain files,
// `dir/` → `dir/index.html`, `/404.html` with status 404 for anything missing, gzip for text
// types when the client accepts it, and a short cache lifetime (GitHub Pages sends 10 minutes).
// With `api`, requests under `/api/` go to that server (`classmates serve`), as the deployed
// registrations API answers them in production.
import { createServer, request } from "node:http";
import { promises as fs } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".svg": "image/svg+xml",
  ".ics": "text/calendar; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};
const COMPRESSIBLE = new Set([".html", ".css", ".js", ".json", ".xml", ".svg", ".ics", ".txt"]);

async function resolve(root, urlPath) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const file = path.join(root, path.normalize(rel));
  if (!file.startsWith(root)) return null;
  try {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) {
      if (!rel.endsWith("/")) return { redirect: rel + "/" };
      return { file: path.join(file, "index.html") };
    }
    return { file };
  } catch {
    // GitHub Pages also serves `/page` from `page.html`.
    if (!path.extname(file)) {
      try {
        await fs.access(file + ".html");
        return { file: file + ".html" };
      } catch {}
    }
    return null;
  }
}

/** Starts the server on 127.0.0.1 (a free port) and resolves to `{ url, close }`. */
export function serveStatic(rootDir, api) {
  const root = path.resolve(rootDir);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (api && url.pathname.startsWith("/api/")) {
      const target = new URL(req.url, api);
      const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
      return;
    }
    let status = 200;
    let found = await resolve(root, url.pathname);
    if (found && found.redirect) {
      res.writeHead(301, { Location: found.redirect + url.search });
      res.end();
      return;
    }
    let body;
    try {
      if (!found) throw new Error("missing");
      body = await fs.readFile(found.file);
    } catch {
      status = 404;
      found = { file: path.join(root, "404.html") };
      try {
        body = await fs.readFile(found.file);
      } catch {
        body = Buffer.from("Not found");
      }
    }
    const ext = path.extname(found.file).toLowerCase();
    const headers = {
      "Content-Type": TYPES[ext] || "application/octet-stream",
      "Cache-Control": "max-age=600",
      Vary: "Accept-Encoding",
    };
    if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(req.headers["accept-encoding"] || "")) {
      body = zlib.gzipSync(body, { level: 6 });
      headers["Content-Encoding"] = "gzip";
    }
    headers["Content-Length"] = body.length;
    res.writeHead(status, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((ok) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      ok({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

// Minimal static file server for `npm start` and the browser tests: serves a directory (the Vite
// build of the simulator, target/www by default, or the packaging test's app) with correct MIME
// types, on 127.0.0.1. `headers`: extra response headers (bench/browser.mjs asks for cross-origin
// isolation, under which Chromium's performance.now() is precise to 5 µs instead of 100 µs).
// Usage: node scripts/serve.mjs [port] [directory]   (port 0 = any free port). Prints the page URL.
import http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ts': 'text/plain; charset=utf-8', '.map': 'application/json',
};

export function createServer(root = repoRoot, headers = {}) {
  return http.createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep)) { res.writeHead(403); res.end(); return; }
    let stat;
    try { stat = statSync(file); } catch { res.writeHead(404); res.end('not found'); return; }
    if (!stat.isFile()) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-cache',
      ...headers,
    });
    createReadStream(file).pipe(res);
  });
}

export function listen(port = 0, root = repoRoot, headers = {}) {
  return new Promise((ok, fail) => {
    const server = createServer(resolve(root), headers);
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[3] ?? join(repoRoot, 'target/www'));
  const server = await listen(Number(process.argv[2] ?? process.env.PORT ?? 8080), root);
  console.log(`drr-margin simulator: http://127.0.0.1:${server.address().port}/  (serving ${root})`);
}

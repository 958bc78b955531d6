// Vite config of the simulator page (www/). The repository root is the drr-margin package; the
// page imports it by name and this alias points the name at the package's browser entry
// (js/web.js → pkg/web, built by scripts/build-pkg.sh), exactly what `exports["."].browser` names.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { alias: { 'drr-margin': `${repo}js/web.js` } },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 8080, fs: { allow: [repo] } },
  preview: { host: '127.0.0.1', port: 8080 },
  build: { outDir: `${repo}target/www`, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
});

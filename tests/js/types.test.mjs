// TypeScript layer: tests/types/usage.ts — a consumer's code, with `@ts-expect-error` lines that
// must really fail — compiles under `tsc --strict` against the declarations the package ships
// (generated from the Rust types by wasm-bindgen and tsify, checked too: skipLibCheck is off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

test('the package types compile a strict consumer and reject wrong enums', () => {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tests/types'], { cwd: repo, encoding: 'utf8' });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});

// The README's JavaScript examples are runnable: each ```js block runs as its own ES module inside
// the package (so `import … from 'drr-margin'` resolves to it), after a prelude that defines the
// names the examples assume (`market`, `account`, `now`: the sample fixtures). A block that throws
// or rejects fails the test, so a renamed function or a changed signature breaks the build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(new URL('README.md', `file://${repo}`), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const prelude = `import { readFileSync as readFixture } from 'node:fs';
const market = JSON.parse(readFixture('tests/fixtures/market.json', 'utf8'));
const account = JSON.parse(readFixture('tests/fixtures/account.json', 'utf8'));
const now = market.now;
`;

test('the README has JavaScript examples', () => assert.ok(blocks.length >= 5));

blocks.forEach((code, i) => {
  const title = code.split('\n').find((line) => line.trim() && !line.startsWith('import')) ?? '';
  test(`README example ${i + 1}: ${title.slice(0, 60)}`, () => {
    const file = `${repo}.readme-example-${i}.mjs`;
    writeFileSync(file, prelude + code);
    try {
      const run = spawnSync(process.execPath, [file], { cwd: repo, encoding: 'utf8' });
      assert.equal(run.status, 0, `example ${i + 1} failed:\n${run.stderr}`);
    } finally {
      rmSync(file, { force: true });
    }
  });
});

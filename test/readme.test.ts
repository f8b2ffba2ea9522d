// The README's TypeScript examples are run as written (each ```ts block as a module importing
// 'webcnn'), so the documentation cannot drift from the API.
import { describe, it } from 'vitest';
import { readFileSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const dir = join(process.cwd(), 'test-results', 'readme');

describe('README examples', () => {
  it('has examples', () => {
    if (blocks.length < 2) throw new Error(`expected TypeScript examples in README.md, found ${blocks.length}`);
  });
  blocks.forEach((code, i) => {
    const first = code.split('\n').find((l) => l.trim() && !l.startsWith('import')) ?? '';
    it(`example ${i + 1} runs: ${first.slice(0, 60)}`, async () => {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `example-${i + 1}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      try {
        await import(/* @vite-ignore */ file);
      } finally {
        rmSync(file, { force: true });
      }
    });
  });
});

// The documentation's TypeScript examples are run as written: each ```ts block of README.md
// and of every docs/*.md, as a module importing 'webcnn' (and 'webcnn/train', 'webcnn/onnx',
// 'webcnn/weights/…') the way an app does, so the documentation cannot drift from the API.
// Code that is not meant to run here (browser-only) is fenced as ```js.
import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url);
const pages = ['README.md', ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const dir = join(process.cwd(), 'test-results', 'docs');

/** The body of every ```ts block, in order. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

describe('documentation examples', () => {
  it('README.md has examples, and no page hides TypeScript under another fence', () => {
    expect(tsBlocks(readFileSync(new URL('README.md', root), 'utf8')).length).toBeGreaterThan(0);
    for (const page of pages) {
      const other = readFileSync(new URL(page, root), 'utf8').match(/^```(typescript|tsx|ts[ \t]+\S.*)$/m);
      expect(other, `${page}: use \`\`\`ts, which the tests run (or \`\`\`js for code that cannot run in Node)`).toBeNull();
    }
  });

  for (const page of pages) {
    tsBlocks(readFileSync(new URL(page, root), 'utf8')).forEach((code, i) => {
      const first = code.split('\n').find((l) => l.trim() && !l.startsWith('import') && !l.startsWith('//')) ?? '';
      it(`${page} block ${i + 1} runs: ${first.trim().slice(0, 60)}`, async () => {
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${page.replace(/[/.]/g, '_')}-${i + 1}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        try {
          await import(/* @vite-ignore */ file);
        } finally {
          rmSync(file, { force: true });
        }
      });
    });
  }
});

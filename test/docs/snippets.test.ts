import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Every TypeScript snippet of the README and docs/ is type-checked, strict, against the package as
// an application sees it: `import … from '@proxima-rpc/proxima'` resolves through package.json `exports` to the
// built declarations in dist/ (run `npm run build` first; `npm test` does). Snippets are written
// under .tmp/ inside the package so that the package name resolves to this package.

const ROOT = new URL('../../', import.meta.url).pathname;
const OUT = join(ROOT, '.tmp', 'doc-snippets');

interface Snippet {
  readonly source: string;
  readonly line: number;
  readonly code: string;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f));
  return [join(ROOT, 'README.md'), ...docs].sort();
}

function snippets(file: string): Snippet[] {
  const found: Snippet[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i] as string)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    found.push({ source: relative(ROOT, file), line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return found;
}

describe('TypeScript snippets in README.md and docs/', () => {
  const all = markdownFiles().flatMap(snippets);

  it('finds the snippets (README example, gRPC, HTTP, observability)', () => {
    const sources = new Set(all.map((s) => s.source));
    for (const doc of ['README.md', 'docs/grpc.md', 'docs/http.md', 'docs/observability.md']) {
      expect(sources, doc).toContain(doc);
    }
  });

  it('type-check under strict against the built package', () => {
    if (!existsSync(join(ROOT, 'dist', 'index.d.ts'))) throw new Error('dist/ is missing: run npm run build');
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const files = all.map((snippet, n) => {
      const name = join(OUT, `${snippet.source.replace(/[/.]/g, '_')}_${n}.ts`);
      // `export {}` makes a snippet without imports a module too (top-level await is allowed).
      writeFileSync(name, `${snippet.code}\nexport {};\n`);
      return { name, snippet };
    });
    const program = ts.createProgram(
      files.map((f) => f.name),
      {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        skipLibCheck: true,
        noEmit: true,
      },
    );
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const file = files.find((f) => f.name === d.file?.fileName);
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
      const where = file ? `${file.snippet.source}:${file.snippet.line + at}` : (d.file?.fileName ?? '?');
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
    rmSync(OUT, { recursive: true, force: true }); // kept only when the check fails, to read them
  }, 180_000); // one tsc program over the package's declarations: slow on a busy machine
});

import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

/**
 * Writes `## heading` and its body into BENCHMARKS.md: replaces that section where it stands (up to
 * the next `## `), or appends it. Other sections are left as they are.
 */
export async function recordSection(heading: string, body: readonly string[]): Promise<void> {
  const existing = await readFile(BENCHMARKS, 'utf8').catch(() => '# Benchmarks\n');
  const section = [heading, '', ...body, ''].join('\n');
  const start = existing.indexOf(`${heading}\n`);
  let next: string;
  if (start < 0) {
    next = `${existing.trimEnd()}\n\n${section}`;
  } else {
    const after = existing.indexOf('\n## ', start + heading.length);
    next = existing.slice(0, start) + section + (after < 0 ? '' : `\n${existing.slice(after + 1)}`);
  }
  await writeFile(BENCHMARKS, next.endsWith('\n') ? next : `${next}\n`);
}

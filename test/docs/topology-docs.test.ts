import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Variable names the topology lookup reads: quoted literals in src/topology (tests and fakes aside). */
async function topologyVariables(): Promise<string[]> {
  const names = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'testing') await walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = await readFile(path, 'utf8');
        for (const m of text.matchAll(/'((?:PROXIMA|SERVICE|CLIENT|AWS|GCE|KUBERNETES)_[A-Z0-9_]+)'/g)) {
          names.add(m[1] as string);
        }
      }
    }
  };
  await walk(join(ROOT, 'src/topology'));
  names.delete('PROXIMA_TOPOLOGY_UNKNOWN'); // the process-warning code, not a variable
  return [...names].sort();
}

describe('topology docs', () => {
  it('README and docs/topology.md name every variable the lookup reads', async () => {
    const variables = await topologyVariables();
    expect(variables).toContain('AWS_EC2_METADATA_SERVICE_ENDPOINT');
    expect(variables.length).toBeGreaterThan(15);
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const topology = await readFile(join(ROOT, 'docs/topology.md'), 'utf8');
    expect(variables.filter((v) => !readme.includes(v))).toEqual([]);
    expect(variables.filter((v) => !topology.includes(v))).toEqual([]);
  });
});

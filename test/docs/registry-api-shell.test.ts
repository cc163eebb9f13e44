import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessGroup } from '../support/processes.js';

// docs/registry-api.md's shell snippets, run in the order the page shows them, against a real
// `proxima registry`: ids come from earlier answers (jq), never fixed, so the page works as read.

const run = promisify(execFile);
const DOC = new URL('../../docs/registry-api.md', import.meta.url).pathname;
const group = new ProcessGroup();
afterAll(() => group.killAll());

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);
}

// Every curl fails the script on an HTTP error (the page's `curl -s` would print the error body
// and go on); a watch stream (`-N`) ended by its own --max-time is a success.
const PRELUDE = `set -euo pipefail
curl() {
  local code=0
  command curl --fail-with-body "$@" || code=$?
  if [ "$code" -eq 28 ] && [[ " $* " == *" -N "* ]]; then return 0; fi
  return "$code"
}
`;

describe('docs/registry-api.md', () => {
  it('has no fixed lease ids or revisions in its commands', () => {
    const commands = shellBlocks(readFileSync(DOC, 'utf8'))
      .flatMap((b) => b.split('\n'))
      .map((l) => l.replace(/#.*$/, ''));
    expect(commands.filter((l) => /Qk3xT2bF|\b1\d{15}\b|[0-9a-f]{16}\./.test(l))).toEqual([]);
  });

  it('runs every shell snippet in order against a real registry', async () => {
    const registry = group.proxima('registry', ['registry', '--port', '0'], { PROXIMA_LOG_LEVEL: 'warn' });
    const line = await registry.waitForLine(/^registry listening on http:\/\//, 30_000);
    const url = line.slice('registry listening on '.length).trim();
    const blocks = shellBlocks(readFileSync(DOC, 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(9);
    const script = `${PRELUDE}R=${url}\n${blocks.join('\n')}\n`;
    const { stdout } = await run('bash', ['-c', script], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toMatch(/(^|\})[A-Za-z0-9_-]{22}$/m); // echo $LEASE: an id from the answer (128 random bits)
    expect(stdout).toContain('{"instances":['); // the keep-alive's answer: what the lease holds
    expect(stdout).toContain('"status":"DRAINING"');
    expect(stdout).toContain('event: reset');
    expect(stdout).toMatch(/^[0-9a-f]{16}\.\d+$/m); // echo $LAST: the id of a watch message
    expect(stdout).toContain('"status":"ok"');
  }, 90_000);
});

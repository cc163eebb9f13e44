import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// "Without the peer installed nothing is loaded and the zero-dependency W3C propagation keeps
// working": the built package runs in an application directory where @opentelemetry/api cannot
// be resolved at all — by `import` or `require`, from Proxima's code or anything else there. Its
// node_modules links every package the project has installed except that one, and holds a copy of
// package.json + dist/ as @proxima-rpc/proxima (a link would resolve from the project's own
// node_modules, where the API is installed).

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const MODULES = join(ROOT, 'node_modules');
const APP = new URL('./fixtures/no-otel-app.js', import.meta.url).pathname;
const HIDDEN = '@opentelemetry/api';

let work = '';

/** An application directory whose node_modules has every installed package but `hidden`. */
function appWithout(hidden: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'proxima-no-otel-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(MODULES)) {
    if (entry.startsWith('.') || entry === '@proxima-rpc') continue;
    if (entry.startsWith('@')) {
      mkdirSync(join(modules, entry));
      for (const name of readdirSync(join(MODULES, entry))) {
        if (`${entry}/${name}` !== hidden)
          symlinkSync(join(MODULES, entry, name), join(modules, entry, name));
      }
    } else if (entry !== hidden) {
      symlinkSync(join(MODULES, entry), join(modules, entry));
    }
  }
  const self = join(modules, '@proxima-rpc', 'proxima');
  mkdirSync(self, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(self, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(self, 'dist'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'no-otel-app', private: true, type: 'module' }),
  );
  cpSync(APP, join(dir, 'app.js'));
  return dir;
}

interface AppReport {
  readonly root: { traceId: string; spanId: string };
  readonly reply: { traceparent: string; traceId: string };
  readonly askedFor: string;
  readonly grpcClientInterceptors: number;
  readonly grpcServerInterceptors: number;
  readonly loaded: string[];
  readonly resolution: string;
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build');
  work = appWithout(HIDDEN);
});

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('without @opentelemetry/api installed', () => {
  it('loads no OpenTelemetry module, and Proxima RPC still propagates W3C trace context', async () => {
    const { stdout } = await run(process.execPath, ['app.js'], { cwd: work, timeout: 60_000, env: {} });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as AppReport;

    // The peer really is missing for this application, and nothing of OpenTelemetry was loaded.
    expect(report.resolution).toBe('ERR_MODULE_NOT_FOUND');
    expect(report.loaded).toEqual([]);

    // The call went through with the caller's trace: same trace id, the client attempt's span as parent.
    expect(report.reply.traceparent).toMatch(new RegExp(`^00-${report.root.traceId}-[0-9a-f]{16}-01$`));
    expect(report.reply.traceparent).not.toContain(report.root.spanId);
    expect(report.reply.traceId).toBe(report.root.traceId);

    // Asked for explicitly, OpenTelemetry fails with the package to install; left out, it is off.
    expect(report.askedFor).toMatch(
      /^FAILED_PRECONDITION: client\.openTelemetry: .*npm install @opentelemetry\/api/,
    );
    expect(report.grpcClientInterceptors).toBe(0);
    expect(report.grpcServerInterceptors).toBe(0);
  }, 90_000);
});

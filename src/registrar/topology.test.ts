import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../backends/memory/index.js';
import { recordingLogger } from '../core/testing/recording-logger.js';
import { type Registrar, startRegistrar } from './registrar.js';

const registrars: Registrar[] = [];
const memory = new MemoryRegistry();
afterEach(async () => {
  for (const r of registrars.splice(0)) await r.drain();
});

describe('registrar topology', () => {
  it('warns, naming the sources, when an instance is registered without a zone', async () => {
    const log = recordingLogger();
    const r = await startRegistrar({
      registry: memory,
      instance: { service: 'a', address: '127.0.0.1:1' },
      env: { PROXIMA_REGION: 'eu' },
      logger: log,
    });
    registrars.push(r);
    expect(r.topology.known).toBe(false);
    expect(r.instances[0]?.locality).toEqual({ region: 'eu', zone: '', subzone: '' });
    const topologyWarnings = log
      .messages('warn')
      .filter((w) => w.includes('zone unknown for this service (eu/?)'));
    expect(topologyWarnings).toHaveLength(1);
    expect(topologyWarnings[0]).toContain('env: region eu');
  });

  it('stays quiet when every instance names its zone, and asks no source beyond options', async () => {
    const log = recordingLogger();
    const r = await startRegistrar({
      registry: memory,
      instances: [
        { service: 'b', address: '127.0.0.1:2', locality: { region: 'eu', zone: 'eu-1' } },
        { service: 'c', address: '127.0.0.1:3', locality: { region: 'eu', zone: 'eu-2' } },
      ],
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' },
      logger: log,
    });
    registrars.push(r);
    expect(log.messages('warn').filter((w) => w.includes('zone unknown'))).toEqual([]);
    expect(r.topology.sources.find((s) => s.source === 'aws')?.answer).toMatchObject({ kind: 'skipped' });
  });
});

import { type Instance, instanceIdSchema, instanceSchema, serviceNameSchema } from '../../core/instance.js';

/**
 * The etcd key layout, shared with every other language that reads or writes Proxima's registry
 * (see docs/etcd-layout.md):
 *
 * ```
 * <prefix>/services/<service>/<instance-id>  →  the instance as JSON (UTF-8), attached to a lease
 * ```
 *
 * Service names and instance ids cannot contain `/` (their schemas forbid it), so a key splits
 * unambiguously and a prefix range over `<prefix>/services/<service>/` holds exactly one service.
 */
export class KeyLayout {
  /** `<prefix>/services/` */
  readonly servicesRoot: string;

  constructor(readonly prefix: string) {
    this.servicesRoot = `${prefix}/services/`;
  }

  /** `<prefix>/services/<service>/`: the range of one service's instances. */
  servicePrefix(service: string): string {
    return `${this.servicesRoot}${service}/`;
  }

  instanceKey(service: string, id: string): string {
    return `${this.servicePrefix(service)}${id}`;
  }

  /**
   * Splits an instance key; undefined for keys outside the layout: deeper paths, other prefixes,
   * and service names or ids Proxima would refuse (another tool's keys under the same prefix).
   */
  parse(key: Buffer | string): { service: string; id: string } | undefined {
    const text = typeof key === 'string' ? key : key.toString('utf8');
    if (!text.startsWith(this.servicesRoot)) return undefined;
    const parts = text.slice(this.servicesRoot.length).split('/');
    if (parts.length !== 2) return undefined;
    const [service, id] = parts as [string, string];
    if (!serviceNameSchema().safeParse(service).success || !instanceIdSchema().safeParse(id).success)
      return undefined;
    return { service, id };
  }
}

/** The range `[key, rangeEnd)` that holds every key starting with `prefix` (etcd's prefix convention). */
export function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  const key = Buffer.from(prefix, 'utf8');
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return { key, range_end: end.subarray(0, i + 1) };
    }
  }
  // All 0xff (never for our text prefixes): etcd reads "\0" as "to the end of the keyspace".
  return { key, range_end: Buffer.from([0]) };
}

/** The stored value: the instance as JSON. */
export function encodeInstance(instance: Instance): Buffer {
  return Buffer.from(JSON.stringify(instance), 'utf8');
}

/**
 * Reads a stored value. Unknown fields are ignored. Values written by other tools are validated like any input; a value that is
 * not a valid instance, or that disagrees with its key about service or id, is not an instance of
 * that key and yields undefined (readers skip it rather than fail the whole service).
 */
export function decodeInstance(
  value: Buffer,
  expected: { service: string; id: string },
): Instance | undefined {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  // Newer writers may add fields; a reader keeps what it knows (forward compatibility).
  const known = Object.fromEntries(Object.entries(json).filter(([field]) => field in instanceSchema().shape));
  const parsed = instanceSchema().safeParse(known);
  if (!parsed.success) return undefined;
  const instance = parsed.data;
  if (instance.service !== expected.service || instance.id !== expected.id) return undefined;
  return instance;
}

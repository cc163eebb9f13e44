import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { lazySchema } from '../../core/zod.js';
import { ErrorCode, invalidArgument, ProximaError } from '../../core/errors.js';
import { parseWith } from '../../core/validate.js';
import { type AuthPolicy, clientAddress, type Principal } from '../seams.js';
import { limitsSchema, type LimitsInput } from './limits.js';

/** A service pattern: an exact name, or a prefix ending in `*` (`*` alone matches every service). */
const patternSchema = lazySchema((z) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(256)
    .regex(/^[^*]*\*?$/, 'expected an exact name or a prefix ending in *'),
);

const ruleSchema = lazySchema((z) =>
  z.object({ service: patternSchema(), access: z.enum(['read', 'write']) }).strict(),
);

const tokenSchema = lazySchema((z) =>
  z
    .object({
      name: z.string().min(1, 'must not be empty').max(128),
      token: z
        .string()
        .min(16, 'must be at least 16 characters (use e.g. `openssl rand -base64 32`)')
        .max(4096),
      admin: z.boolean().default(false),
      rules: z.array(ruleSchema()).default([]),
      limits: limitsSchema().optional(),
    })
    .strict(),
);

/** The ACL file (`proxima registry --acl FILE`, `startRegistryServer({ acl })`). */
export const aclSchema = lazySchema((z) =>
  z
    .object({
      anonymous: z.enum(['none', 'read']).default('none'),
      tokens: z.array(tokenSchema()).max(100_000),
    })
    .strict()
    .superRefine((acl, ctx) => {
      const names = new Set<string>();
      const tokens = new Set<string>();
      acl.tokens.forEach((t, i) => {
        if (names.has(t.name))
          ctx.addIssue({
            code: 'custom',
            path: ['tokens', i, 'name'],
            message: `duplicate name "${t.name}"`,
          });
        if (tokens.has(t.token))
          ctx.addIssue({
            code: 'custom',
            path: ['tokens', i, 'token'],
            message: 'same token as an earlier entry',
          });
        names.add(t.name);
        tokens.add(t.token);
      });
    }),
);

export type AclInput = z.input<ReturnType<typeof aclSchema>>;
type Acl = z.output<ReturnType<typeof aclSchema>>;
type Rule = z.output<ReturnType<typeof ruleSchema>>;

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The rule that decides for `service`: an exact name beats any prefix, a longer prefix a shorter one. */
function decidingRule(rules: readonly Rule[], service: string): Rule | undefined {
  let best: Rule | undefined;
  let bestScore = -1;
  for (const rule of rules) {
    const prefix = rule.service.endsWith('*');
    const stem = prefix ? rule.service.slice(0, -1) : rule.service;
    const matches = prefix ? service.startsWith(stem) : service === stem;
    if (!matches) continue;
    const score = prefix ? stem.length : Number.MAX_SAFE_INTEGER;
    if (score > bestScore) {
      best = rule;
      bestScore = score;
    }
  }
  return best;
}

function principalOf(entry: Acl['tokens'][number]): Principal {
  const { name, admin, rules } = entry;
  const limits: LimitsInput | undefined = entry.limits;
  return {
    name,
    admin,
    limitKey: `token ${name}`,
    ...(limits === undefined ? {} : { limits }),
    may: (access, service) => {
      if (admin) return true;
      if (service === undefined) return rules.some((r) => access === 'read' || r.access === 'write');
      const rule = decidingRule(rules, service);
      return rule !== undefined && (access === 'read' || rule.access === 'write');
    },
  };
}

/**
 * The token ACL: `Authorization: Bearer <token>` names a token of the file; its rules say which
 * services it may read or write (`write` implies `read`; an exact name beats a prefix, a longer
 * prefix a shorter one); `admin` may do everything. A missing, malformed or unknown token is
 * UNAUTHENTICATED (401) — unless `anonymous: "read"` lets requests without a token read.
 *
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, against every entry without an
 * early exit, so timing tells nothing about how much of a token matched. Tokens never reach logs
 * or error messages; identities are named by `name`.
 *
 * @example
 * ```ts
 * const acl = AclPolicy.fromFile('/etc/proxima/acl.json');
 * process.on('SIGHUP', () => acl.reload()); // watches stay open
 * ```
 */
export class AclPolicy implements AuthPolicy {
  readonly requiresToken = true;
  private entries: readonly Entry[] = [];
  private anonymous: Principal | undefined;

  private constructor(
    acl: unknown,
    private readonly file: string | undefined,
  ) {
    this.install(acl, 'acl');
  }

  /** An ACL from a value (validated: INVALID_ARGUMENT naming `acl.tokens.0.token` etc.). */
  static from(acl: AclInput): AclPolicy {
    return new AclPolicy(acl, undefined);
  }

  /** An ACL read from a JSON file, which {@link reload} reads again. */
  static fromFile(file: string): AclPolicy {
    return new AclPolicy(readAclFile(file), file);
  }

  /** Number of tokens. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * Reads the file again and swaps the rules in at once. A file that cannot be read or is invalid
   * throws and leaves the current rules in force. Open watches are not touched.
   */
  reload(): void {
    if (this.file === undefined) return;
    this.install(readAclFile(this.file), 'acl');
  }

  authenticate(request: IncomingMessage): Principal {
    return this.authenticateHeader(request.headers.authorization, clientAddress(request));
  }

  /**
   * The identity an `Authorization` value names (HTTP header or gRPC call metadata), or anonymous
   * (rate-limited as `anonymousKey`) when there is none and `anonymous: "read"` allows it. Throws
   * UNAUTHENTICATED otherwise.
   */
  authenticateHeader(header: string | undefined, anonymousKey: string): Principal {
    if (header === undefined || header === '') {
      if (this.anonymous !== undefined) return { ...this.anonymous, limitKey: anonymousKey };
      throw unauthenticated('a bearer token is required (Authorization: Bearer <token>)');
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (match === null) throw unauthenticated('expected Authorization: Bearer <token>');
    const digest = sha256(match[1] ?? '');
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) found = entry.principal;
    }
    if (found === undefined) throw unauthenticated('unknown token');
    return found;
  }

  private install(input: unknown, root: string): void {
    const acl = parseWith(aclSchema(), input, root);
    this.entries = acl.tokens.map((t) => ({ digest: sha256(t.token), principal: principalOf(t) }));
    this.anonymous =
      acl.anonymous === 'read'
        ? { name: 'anonymous', admin: false, limitKey: 'anonymous', may: (access) => access === 'read' }
        : undefined;
  }
}

function unauthenticated(message: string): ProximaError {
  return new ProximaError(ErrorCode.UNAUTHENTICATED, message);
}

function readAclFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidArgument('--acl', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidArgument('--acl', `${file} is not JSON: ${(error as Error).message}`);
  }
}

import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { didToPublicKey } from '@agentguard/identity';
import {
  ringDoorbell,
  signStatus,
  type StatusMeasure,
  type StatusScope,
  type VerifiedStatus,
  verifyStatus,
} from '@agentguard/incident';
import { fromBase64, fromUtf8 } from '@agentguard/statement';
import { parseArgs } from '../args.js';
import { type CommandIO, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { readBoundedText } from '../read-input.js';
import { loadKey, parseDuration } from './credential-common.js';

/** Flags shared by `incident suspend|resume|quarantine`. */
export const WRITE_FLAGS = {
  status: { type: 'string' },
  key: { type: 'string' },
  scope: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  reason: { type: 'string' },
  channel: { type: 'string' },
  trust: { type: 'string', multiple: true },
  ttl: { type: 'string' },
  redis: { type: 'string' },
  'redis-channel': { type: 'string' },
  'passphrase-env': { type: 'string' },
} as const;

export const WRITE_USAGE = `--status <status.json> --key <operator.jwk> [--scope <scope>…]
         [--reason <text>] [--channel <name>] [--trust <did:key>…] [--ttl <1h>]
         [--redis <redis://host:port>] [--redis-channel <name>] [--passphrase-env <VAR>]

  --scope     all | agent:<did:key> | tool:<name or prefix.*> | tag:<tag> (repeatable)
  --status    the signed status document the guards poll; rewritten atomically
  --key       the operator key (never an agent's key)
  --channel   the control channel; default the current document's (required for the first one)
  --trust     operator keys the current document may be signed by; default the --key's own
  --ttl       validity of the new status (90s, 30m, at most 24h); default 1h. Re-issue before it runs out:
              guards refuse high-risk tools once it has
  --redis     rings the doorbell (PUBLISH) so guards read the new status at once

Exit codes: 0 written; 1 the current document does not verify, or Redis failed (the
document is written); 2 usage error.`;

/** Parses `all`, `agent:<did>`, `tool:<name>`, `tag:<tag>`. */
export function parseScope(text: string): StatusScope {
  if (text === 'all') return { kind: 'all' };
  const at = text.indexOf(':');
  const kind = text.slice(0, at);
  const value = text.slice(at + 1);
  if (at > 0 && (kind === 'agent' || kind === 'tool' || kind === 'tag') && value.length > 0) {
    if (kind === 'agent') {
      try {
        didToPublicKey(value);
      } catch {
        throw new UsageError(`--scope agent: expects an Ed25519 did:key, got "${value.slice(0, 80)}"`);
      }
    }
    return { kind, value };
  }
  throw new UsageError(`--scope expects all, agent:<did:key>, tool:<name>, or tag:<tag>, got "${text.slice(0, 80)}"`);
}

const sameScope = (a: StatusScope, b: StatusScope) =>
  a.kind === b.kind && (a.kind === 'all' || (a as { value: string }).value === (b as { value: string }).value);

/** Largest control status document read: a signed envelope of a few fields. */
export const MAX_STATUS_FILE_BYTES = 1024 * 1024;

/** The current status in a file: verified, or undefined when the file does not exist. Expired ones count. */
export async function readCurrent(
  path: string,
  trust: readonly string[],
  channel: string | undefined,
): Promise<VerifiedStatus | undefined> {
  let text: string;
  try {
    text = await readBoundedText(path, MAX_STATUS_FILE_BYTES, 'status');
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    if ((cause as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new InputError(`cannot read ${path}`);
  }
  let claimed: { channel?: unknown; issuedAt?: unknown } = {};
  try {
    const envelope = JSON.parse(text) as { payload?: unknown };
    claimed =
      (JSON.parse(fromUtf8(fromBase64(String(envelope.payload)))) as { predicate?: typeof claimed }).predicate ?? {};
  } catch {}
  const ch = channel ?? (typeof claimed.channel === 'string' ? claimed.channel : undefined);
  if (ch === undefined) throw new InputError(`${path} is not a control status (no channel)`);
  let result = verifyStatus(text, { trust, channel: ch });
  // An expired status is still the last one: the next builds on it (its signature was checked first).
  if (!result.ok && result.code === 'ERR_INCIDENT_STATUS_EXPIRED' && typeof claimed.issuedAt === 'string') {
    result = verifyStatus(text, { trust, channel: ch, nowMs: Date.parse(claimed.issuedAt) });
  }
  if (!result.ok) throw new VerifyFailed(`${path}: ${result.code}: ${result.reason}`);
  return result.status;
}

/** The current document does not verify: exit 1. */
export class VerifyFailed extends Error {}

/** Runs `incident suspend|resume|quarantine`: reads the current status, writes the next one, rings. */
export async function writeNext(
  argv: readonly string[],
  io: CommandIO,
  change: (
    measures: readonly StatusMeasure[],
    scopes: readonly StatusScope[],
    reason: string | undefined,
    all: boolean,
  ) => StatusMeasure[],
): Promise<number> {
  const { values, positionals } = parseArgs(argv, WRITE_FLAGS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.status === undefined) throw new UsageError('missing --status <status.json>');
  const scopes = (values.scope ?? []).map(parseScope);
  const ttlMs = parseDuration(values.ttl, 3_600_000, '--ttl');
  if (ttlMs > 86_400_000) throw new UsageError('--ttl expects at most 24h: guards refuse a status valid for longer');
  const operator = await loadKey(values.key, io, values['passphrase-env']);
  const path = resolve(io.cwd, values.status);
  const trust = values.trust ?? [operator.id];
  let current: VerifiedStatus | undefined;
  try {
    current = await readCurrent(path, trust, values.channel);
  } catch (error) {
    if (!(error instanceof VerifyFailed)) throw error;
    io.stderr(`refused: the current status does not verify: ${error.message}\n`);
    return EXIT_FAIL;
  }
  const channel = values.channel ?? current?.channel;
  if (channel === undefined) throw new UsageError('missing --channel <name> (no current status to take it from)');
  const measures = change(current?.measures ?? [], scopes, values.reason, values.all === true);
  // With no current document (a new channel, or a status file deleted or moved), the sequence starts at the clock
  // in milliseconds, above any seq a running guard holds: restarting at 1 would be refused as a replay by every
  // guard, and the previous status would stay in force while this command reported success.
  const seq = current === undefined ? Math.max(1, Date.now()) : current.seq + 1;
  let signed: Awaited<ReturnType<typeof signStatus>>;
  try {
    signed = await signStatus({ operator, channel, seq, measures, ttlMs });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // Atomic: pollers read the old document or the new one, never half of one.
  const tmp = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(signed)}\n`, { mode: 0o644 });
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw new InputError(`cannot write ${path}: ${(cause as Error).message}`);
  }
  io.stdout(
    `status ${seq} written to ${path} (${measures.length} measure${measures.length === 1 ? '' : 's'} in force)\n`,
  );
  if (values.redis !== undefined) {
    try {
      const heard = await ringDoorbell(
        { url: values.redis, ...(values['redis-channel'] === undefined ? {} : { channel: values['redis-channel'] }) },
        seq,
      );
      io.stdout(`doorbell rung: ${heard} subscriber${heard === 1 ? '' : 's'}\n`);
    } catch (error) {
      io.stderr(`redis: ${(error as Error).message} (guards still read the status at their next poll)\n`);
      return EXIT_FAIL;
    }
  }
  return EXIT_OK;
}

/** Adds `kind` measures for `scopes`, keeping existing ones (one per kind and scope). */
export function adding(kind: StatusMeasure['kind']) {
  return (
    measures: readonly StatusMeasure[],
    scopes: readonly StatusScope[],
    reason: string | undefined,
  ): StatusMeasure[] => {
    if (scopes.length === 0) throw new UsageError('missing --scope <scope>');
    const next = [...measures];
    for (const scope of scopes) {
      if (next.some((m) => m.kind === kind && sameScope(m.scope, scope))) continue;
      next.push(reason === undefined ? { kind, scope } : { kind, scope, reason });
    }
    return next;
  };
}

/** Removes every measure on `scopes` (or all with `--all`). */
export function removing(
  measures: readonly StatusMeasure[],
  scopes: readonly StatusScope[],
  _reason: string | undefined,
  all: boolean,
): StatusMeasure[] {
  if (all) return [];
  if (scopes.length === 0) throw new UsageError('missing --scope <scope> (or --all)');
  return measures.filter((m) => !scopes.some((s) => sameScope(m.scope, s)));
}

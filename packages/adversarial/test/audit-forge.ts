/**
 * An attacker's audit-log writer for the adversarial suite: builds records line by line from the
 * published format (docs/audit-format.md) with any key, any field and any origin, so the tests can
 * write what `createAuditLog` never would. Only public exports are used, and the RFC 9162 tree hashing, which is
 * standard rather than ours to vary, taken from audit's source (it is not exported).
 */
import { noteKeyId } from '@agentguard/audit';
import { leafHash, MerkleTree } from '../../audit/src/tree/merkle.js';
import { type AgentIdentity, createIdentity, sign } from '@agentguard/identity';
import { canonicalBytes, canonicalize, concatBytes, sha256Hex, toBase64, utf8 } from '@agentguard/statement';

/** Test identities with known seeds, so records can be signed synchronously. */
export const SEED = { agent: 7, other: 9, log: 11 } as const;
const key = (seed: number, name: string) => createIdentity({ secretKey: new Uint8Array(32).fill(seed), name });
export const AGENT: AgentIdentity = key(SEED.agent, 'agent');
export const OTHER: AgentIdentity = key(SEED.other, 'other');
export const LOG: AgentIdentity = key(SEED.log, 'log');
const SECRETS = new Map<string, Uint8Array>([
  [AGENT.id, new Uint8Array(32).fill(SEED.agent)],
  [OTHER.id, new Uint8Array(32).fill(SEED.other)],
  [LOG.id, new Uint8Array(32).fill(SEED.log)],
]);

/** The secret key of a test identity. */
export function secretOf(identity: { readonly id: string }): Uint8Array {
  const secret = SECRETS.get(identity.id);
  if (secret === undefined) throw new Error('not a test identity');
  return secret;
}

const RECORD_PREFIX = 'agentguard-audit-record-v1\n';

/** Writes a log record by record, as anyone holding the named keys could. */
export class Forger {
  readonly lines: string[] = [];
  private readonly tree = new MerkleTree();
  private head = '0'.repeat(64);
  private t = Date.parse('2026-01-01T00:00:00.000Z');

  /** An event record; `signedBy` undefined writes it batched (no `sig`) naming `signer`. */
  event(
    fields: { type?: string; callId?: string; agent?: string; tool?: string; data?: Record<string, unknown> },
    signer: AgentIdentity,
    signed = true,
  ): this {
    const body = {
      v: 1,
      seq: this.lines.length,
      ts: new Date(this.t++).toISOString(),
      prev: this.head,
      type: fields.type ?? 'call.completed',
      callId: fields.callId ?? `call-${this.lines.length}`,
      agent: fields.agent ?? signer.id,
      tool: fields.tool ?? 'search',
      ...(fields.data === undefined ? {} : { data: fields.data }),
      signer: signer.id,
    };
    return this.push(body, signed ? signer : undefined, {});
  }

  /** A checkpoint record by `signer` with `origin` (any string: the attacker chooses). */
  checkpoint(signer: AgentIdentity, origin = 'example.com/audit', extraLines = ''): this {
    const size = this.lines.length;
    const ts = new Date(this.t++).toISOString();
    // Written by hand (formatCheckpoint refuses a bad origin; an attacker does not ask it).
    const note = `${origin}\n${size}\n${toBase64(this.tree.root(size))}\ntime ${ts}\n${extraLines}`;
    const body = { v: 1, seq: size, ts, prev: this.head, type: 'checkpoint', note, signer: signer.id };
    const noteSig = toBase64(concatBytes(noteKeyId(origin, signer.publicKey), sign(utf8(note), secretOf(signer))));
    return this.push(body, signer, { noteSig });
  }

  /** The log as text, every line ending in a newline. */
  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }

  private push(body: Record<string, unknown>, signer: AgentIdentity | undefined, extra: Record<string, string>): this {
    const bytes = canonicalBytes(body, { maxDepth: 72 });
    const hash = sha256Hex(bytes);
    const sig = signer === undefined ? {} : { sig: toBase64(sign(utf8(RECORD_PREFIX + hash), secretOf(signer))) };
    this.lines.push(canonicalize({ ...body, hash, ...sig, ...extra }, { maxDepth: 72 }));
    this.tree.append(leafHash(bytes));
    this.head = hash;
    return this;
  }
}

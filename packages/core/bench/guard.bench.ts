/**
 * The cost of guard() per call, against the crypto it cannot avoid: one raw node:crypto Ed25519 sign plus
 * one verify of a message the size of the call's signed envelope (PAE of its statement), measured in the
 * same run. Also against the same tool called bare (zod parse + tool). Every case is timed in five
 * interleaved rounds and the best round kept (the machine may be shared).
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { PAYLOAD_TYPE, signCall } from '@agentguard/attestation';
import { type AuditSink, createAuditLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { fromBase64, pae } from '@agentguard/statement';
import { z } from 'zod';
import { createGuard } from '../src/index.js';
import { type BenchResult, measure as measureFor } from '../../../.config/bench-kit.js';

const measure = (fn: () => unknown, ms: number) => measureFor(fn, ms, 200);
const ROUNDS = 5;
const ROUND_MS = 700;

/**
 * A sink that takes every batch at once and keeps nothing: the bench times the guard, not a sink. The memory
 * sink keeps every record it is given, so its heap (and the garbage collector's work) grew through a run and
 * the same case measured 1.2x-1.6x from one run to the next.
 */
const discard = (): AuditSink => ({ write: async () => undefined, close: async () => undefined });

export async function run(): Promise<BenchResult[]> {
  const schema = z.object({ city: z.string().max(100), units: z.enum(['metric', 'imperial']) });
  const execute = async ({ city }: { city: string }) => ({ city, celsius: 21 });
  const args = { city: 'Lisbon', units: 'metric' as const };
  const identity = createIdentity({ name: 'bench' });
  const ag = createGuard({
    identity,
    policy: { version: 1, rules: [{ id: 'weather', effect: 'allow', tools: ['get_weather'] }] },
    audit: createAuditLog({ sink: discard() }),
  });
  const guarded = ag.guard({ name: 'get_weather', schema, execute });
  const denied = ag.guard({ name: 'delete_all', schema, execute });

  const logKey = createIdentity({ name: 'log key' });
  const batchedGuard = createGuard({
    identity: createIdentity({ name: 'bench' }),
    policy: { version: 1, rules: [{ id: 'weather', effect: 'allow', tools: ['get_weather'] }] },
    audit: createAuditLog({ sink: discard(), checkpoint: { signer: logKey, everyRecords: 1000, everyMs: 0 } }),
  });
  const batched = batchedGuard.guard({ name: 'get_weather', schema, execute, signing: 'batched' });

  // The baseline message: the bytes a call envelope's signature covers (a call's signed statement), so sizes match.
  const signed = await signCall({
    signer: identity,
    callId: crypto.randomUUID(),
    tool: 'get_weather',
    args,
    policyHash: ag.policyHash,
  });
  const message = pae(PAYLOAD_TYPE, fromBase64(signed.envelope.payload));
  const keys = generateKeyPairSync('ed25519');
  const signature = sign(null, message, keys.privateKey);

  // Interleaved rounds, best of each: on a shared machine the load changes while a bench runs, and a
  // ratio of two cases timed minutes apart would measure the neighbours as much as the code.
  const cases = {
    rawSign: () => sign(null, message, keys.privateKey),
    rawVerify: () => verify(null, message, keys.publicKey, signature),
    rawPair: () => verify(null, message, keys.publicKey, sign(null, message, keys.privateKey)),
    bare: () => execute(schema.parse(args)),
    throughput: () => batched(args),
    allowed: () => guarded(args),
    refused: () => denied.safeRun(args),
  };
  const best: Record<keyof typeof cases, number> = {
    rawSign: 0,
    rawVerify: 0,
    rawPair: 0,
    bare: 0,
    throughput: 0,
    allowed: 0,
    refused: 0,
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(cases) as Array<[keyof typeof cases, () => unknown]>) {
      best[name] = Math.max(best[name], await measure(fn, ROUND_MS));
    }
  }
  const { rawSign, rawVerify, rawPair, bare, throughput, allowed, refused } = best;
  const pair = `raw Ed25519 sign + verify of ${message.length} bytes`;
  const us = (ops: number) => `${(1e6 / ops).toFixed(0)} µs per call`;
  // What a call signs and cannot skip, as a share of its time: the signatures alone, at the raw sign rate.
  const signing = (count: number, ops: number) =>
    `${count} Ed25519 signatures (${((100 * count * ops) / rawSign).toFixed(0)}% of the call; ${((count * rawPair) / rawSign).toFixed(2)}x alone)`;
  return [
    { name: `raw node:crypto Ed25519 sign (${message.length} B)`, opsPerSec: rawSign, note: us(rawSign) },
    { name: `raw node:crypto Ed25519 verify (${message.length} B)`, opsPerSec: rawVerify, note: us(rawVerify) },
    { name: 'raw node:crypto Ed25519 sign + verify', opsPerSec: rawPair, note: us(rawPair) },
    { name: 'bare call (zod parse + tool)', opsPerSec: bare },
    {
      name: 'guarded call, allowed',
      opsPerSec: allowed,
      baseline: `time of one ${pair} (target ≤ 1.5x)`,
      ratio: rawPair / allowed,
      note: `${us(allowed)}; ${signing(2, allowed)}: request and outcome records (no envelope: ADR 0012)`,
    },
    {
      name: 'guarded call, batched signing',
      opsPerSec: throughput,
      baseline: `time of one ${pair} (target ≤ 0.5x)`,
      ratio: rawPair / throughput,
      note: `${us(throughput)}; no signature per call: covered by a checkpoint every 1,000 records`,
    },
    {
      name: 'guarded call, denied',
      opsPerSec: refused,
      baseline: `time of one ${pair} (target ≤ 1.2x)`,
      ratio: rawPair / refused,
      note: `${us(refused)}; ${signing(2, refused)}: request and denial records (no envelope: ADR 0012)`,
    },
  ];
}

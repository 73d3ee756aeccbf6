import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT, event, LOG_KEY, OTHER } from '../../test/helpers.js';
import { createAuditLog } from '../log/log.js';
import { createMemorySink } from '../log/sink.js';
import { AuditError } from '../errors.js';
import { openAuditDirectory, openFileAuditLog } from '../file.js';
import { hashBody, recordLine } from '../record/record.js';
import { GENESIS_HASH, RECORD_VERSION } from '../record/schema.js';
import { LogChecker } from '../verify/checker.js';
import { verifyLogFile } from '../verify/file.js';
import { readLog } from '../verify/read.js';
import { verifyLog } from '../verify/verify.js';
import { listSegments } from './dir.js';

/**
 * A batched record is authenticated only by a later checkpoint of the log key. A writer reopening a log must
 * never let its own next checkpoint cover batched records it found uncovered: it cannot know it wrote them
 * (a crash before the checkpoint leaves them; so does anyone who appends while the log is closed).
 */

const root = mkdtempSync(join(tmpdir(), 'agentguard-uncovered-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'log.jsonl') => {
  const dir = join(root, `d-${n++}`);
  mkdirSync(dir);
  return join(dir, name);
};
const checkpoint = { signer: LOG_KEY, everyRecords: 1000, everyMs: 0 };
/** The keys a verifier of these logs trusts: the agent's and the log's. */
const trust = [AGENT.id, LOG_KEY.id];
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const parsed = (path: string) => lines(path).map((line) => JSON.parse(line) as Record<string, unknown>);

/** A batched record that continues the log in `path`, as anyone with write access to the file could make it. */
function forge(path: string, callId: string): string {
  const all = existsSync(path) ? parsed(path) : [];
  const body: Record<string, unknown> = {
    v: RECORD_VERSION,
    seq: all.length === 0 ? 0 : (all.at(-1)?.seq as number) + 1,
    ts: new Date().toISOString(),
    type: 'call.completed',
    callId,
    agent: AGENT.id,
    tool: 'search',
    signer: LOG_KEY.id,
    prev: all.at(-1)?.hash ?? GENESIS_HASH,
    data: { resultDigest: `sha256:${'cd'.repeat(32)}` },
  };
  const line = recordLine({ ...body, hash: hashBody(body) });
  appendFileSync(path, `${line}\n`);
  return line;
}

/**
 * A forged batched record, then a checkpoint over it made from the log's last one: its size and root right (anyone
 * can compute them), so that only its signature is wrong.
 */
function forgeCheckpoint(path: string): void {
  const sealed = parsed(path)
    .filter((r) => r.type === 'checkpoint')
    .at(-1) as Record<string, unknown>;
  forge(path, 'forged');
  const all = parsed(path);
  const fake: Record<string, unknown> = { ...sealed, seq: all.length, prev: all.at(-1)?.hash };
  delete fake.hash;
  delete fake.sig;
  delete fake.noteSig;
  const checker = new LogChecker({ signatures: false });
  for (const line of lines(path)) expect(checker.check(line).problem).toBeUndefined();
  const root = Buffer.from(checker.tree.root()).toString('base64');
  const note = String(sealed.note).replace(/^(.*\n)\d+\n.*\n/, `$1${all.length}\n${root}\n`);
  Object.assign(fake, { note });
  appendFileSync(path, `${recordLine({ ...fake, hash: hashBody(fake), sig: sealed.sig, noteSig: sealed.noteSig })}\n`);
}

/** A batched record naming `key`, and a checkpoint `key` really signs over it: an intruder's own, valid key. */
async function forgeWithOwnKey(path: string, key: typeof OTHER): Promise<void> {
  const checker = new LogChecker({ signatures: false });
  for (const line of lines(path)) expect(checker.check(line).problem).toBeUndefined();
  const sink = createMemorySink();
  const intruder = createAuditLog({ sink, resume: checker.state(), checkpoint: { signer: key, everyMs: 0 } });
  await intruder.appendBatched({ ...event(900), callId: `forged-own-${n++}` });
  await intruder.close();
  appendFileSync(path, sink.text());
}

describe('batched records no checkpoint covers, found on open', () => {
  it('a record appended while the log was closed is set aside, never vouched for by the next checkpoint', async () => {
    const path = fresh();
    const first = await openFileAuditLog(path, { checkpoint });
    await first.appendBatched(event(0));
    await first.close();
    const seq = lines(path).length;
    const forged = forge(path, 'forged');
    // The forged line is well formed: only the missing checkpoint gives it away.
    expect(await verifyLogFile(path)).toMatchObject({ ok: false, code: 'ERR_AUDIT_SIGNATURE_INVALID' });

    const log = await openFileAuditLog(path, { checkpoint });
    expect(log.uncovered).toEqual({
      line: seq + 1,
      seq,
      records: 1,
      bytes: Buffer.byteLength(forged) + 1,
      sha256: createHash('sha256').update(`${forged}\n`).digest('hex'),
      savedTo: `${path}.uncovered`,
    });
    await log.appendBatched(event(1));
    await log.close();

    expect(readFileSync(`${path}.uncovered`, 'utf8')).toBe(`${forged}\n`);
    const records = parsed(path);
    expect(records.map((r) => r.callId)).not.toContain('forged');
    const recovered = records.find((r) => r.type === 'log.recovered');
    expect(recovered?.data).toEqual({ uncovered: log.uncovered });
    expect(typeof recovered?.sig).toBe('string');
    expect(await verifyLogFile(path, { checkpointKeys: [LOG_KEY.id] })).toMatchObject({ ok: true });
  });

  it('after a crash, moves the first uncovered record and every record after it, signed ones too', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.append(event(0), AGENT);
    await log.checkpoint();
    const kept = lines(path).length;
    await log.appendBatched(event(1));
    await log.append(event(2), AGENT);
    await log.appendBatched(event(3));
    // The file as a crash would leave it: every acknowledged record on disk, no checkpoint after them.
    const crashed = fresh();
    copyFileSync(path, crashed);
    await log.close();
    const before = readFileSync(crashed);
    const moved = before.subarray(Buffer.byteLength(`${lines(crashed).slice(0, kept).join('\n')}\n`));

    const reopened = await openFileAuditLog(crashed, { checkpoint });
    expect(reopened.uncovered).toMatchObject({ seq: kept, records: 3, line: kept + 1, bytes: moved.length });
    expect(readFileSync(`${crashed}.uncovered`)).toEqual(moved);
    expect(reopened.size).toBe(kept + 1); // the records kept, then the log.recovered record
    await reopened.close();
    expect(lines(crashed).slice(0, kept)).toEqual(before.toString('utf8').split('\n').slice(0, kept));
    expect(await verifyLogFile(crashed, { checkpointKeys: [LOG_KEY.id] })).toMatchObject({ ok: true });
  });

  it("with tornTail 'refuse', refuses at the first uncovered record and cuts nothing", async () => {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.appendBatched(event(0));
    await log.close();
    forge(path, 'forged');
    appendFileSync(path, '{"torn":');
    const before = readFileSync(path);
    const opening = openFileAuditLog(path, { checkpoint, tornTail: 'refuse' });
    await expect(opening).rejects.toThrow(AuditError);
    await expect(opening).rejects.toMatchObject({ code: 'ERR_AUDIT_RECORD_TRUNCATED' });
    // The torn line set aside by hand: the uncovered record is refused in turn.
    rmSync(path);
    appendFileSync(path, before.subarray(0, before.length - '{"torn":'.length));
    const again = openFileAuditLog(path, { checkpoint, tornTail: 'refuse' });
    await expect(again).rejects.toMatchObject({ code: 'ERR_AUDIT_SIGNATURE_INVALID' });
    await expect(again).rejects.toThrow(
      `${path}:${lines(path).length}: record seq ${lines(path).length - 1} is batched`,
    );
    expect(readFileSync(path)).toEqual(before.subarray(0, before.length - '{"torn":'.length));
    expect(existsSync(`${path}.uncovered`)).toBe(false);
  });

  it('sets a torn line and uncovered records aside together, each to its own file', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.appendBatched(event(0));
    await log.close();
    const sealed = lines(path).length;
    const forged = forge(path, 'forged');
    appendFileSync(path, '{"torn":');
    const reopened = await openFileAuditLog(path, { checkpoint });
    expect(reopened.torn).toMatchObject({ bytes: 8, line: sealed + 2 });
    expect(reopened.uncovered).toMatchObject({ seq: sealed, records: 1 });
    await reopened.close();
    expect(readFileSync(`${path}.torn`, 'utf8')).toBe('{"torn":\n');
    expect(readFileSync(`${path}.uncovered`, 'utf8')).toBe(`${forged}\n`);
    const recovered = parsed(path).find((r) => r.type === 'log.recovered');
    expect(recovered?.data).toEqual({ torn: reopened.torn, uncovered: reopened.uncovered });
    expect(await verifyLogFile(path, { checkpointKeys: [LOG_KEY.id] })).toMatchObject({ ok: true });
  });

  it('in a directory, sets aside records that span files: the tail of one, the files after it (property of rotation)', async () => {
    const dir = join(root, `dir-${n++}`);
    // Every record starts a new file: what a crash between checkpoints of a rotating log leaves, batched
    // records in several files after the last checkpoint.
    const log = await openAuditDirectory(dir, { checkpoint, rotate: { maxBytes: 1 } });
    await log.append(event(0), AGENT);
    await log.checkpoint();
    await log.appendBatched(event(1));
    await log.append(event(2), AGENT);
    await log.appendBatched(event(3));
    const crashed = join(root, `dir-${n++}`);
    mkdirSync(crashed);
    for (const file of await listSegments(dir)) copyFileSync(file, join(crashed, basename(file)));
    await log.close();
    const files = await listSegments(crashed);
    // The first uncovered record opens the third file, which stays, cut to nothing, to take the next records.
    const kept = files.slice(0, 3);
    const moved = Buffer.concat(files.slice(2).map((f) => readFileSync(f)));
    appendFileSync(files.at(-1) as string, '{"torn":');

    const reopened = await openAuditDirectory(crashed, { checkpoint });
    expect(reopened.uncovered).toEqual({
      line: 1,
      seq: 2,
      records: 3,
      bytes: moved.length,
      sha256: createHash('sha256').update(moved).digest('hex'),
      savedTo: `${kept.at(-1)}.uncovered`,
    });
    expect(reopened.torn).toMatchObject({ bytes: 8 });
    expect(await listSegments(crashed)).toEqual(kept);
    expect(parsed(kept.at(-1) as string).map((r) => r.type)).toEqual(['log.recovered']);
    expect(readFileSync(`${kept.at(-1)}.uncovered`)).toEqual(moved);
    await reopened.appendBatched(event(4));
    await reopened.close();
    const report = await verifyLogFile(crashed, { checkpointKeys: [LOG_KEY.id] });
    expect(report).toMatchObject({ ok: true });
    // Opened again: nothing left to set aside, and the side file is as it was.
    const again = await openAuditDirectory(crashed, { checkpoint });
    expect(again.uncovered).toBeUndefined();
    await again.close();
    expect(readFileSync(`${kept.at(-1)}.uncovered`)).toEqual(moved);
  });

  it('an open that crashed after saving, before cutting, does not save the records twice', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.appendBatched(event(0));
    await log.close();
    const forged = forge(path, 'forged');
    // The side file as a crashed open left it: the bytes saved, the log not yet cut.
    appendFileSync(`${path}.uncovered`, `${forged}\n`);
    const reopened = await openFileAuditLog(path, { checkpoint });
    expect(reopened.uncovered).toMatchObject({ records: 1 });
    await reopened.close();
    expect(readFileSync(`${path}.uncovered`, 'utf8')).toBe(`${forged}\n`);
  });

  it('a record split between two files (by hand) is refused, nothing cut', async () => {
    const dir = join(root, `dir-${n++}`);
    const log = await openAuditDirectory(dir, { checkpoint, rotate: { maxBytes: 1 } });
    await log.append(event(0), AGENT);
    await log.close();
    const last = (await listSegments(dir)).at(-1) as string;
    const line = forge(last, 'forged');
    // The forged line moved, half of it, into a new file of its own.
    const text = readFileSync(last, 'utf8');
    writeFileSync(last, text.slice(0, text.length - line.length - 1 + 9));
    const next = join(dir, `audit-${String((await listSegments(dir)).length + 1).padStart(6, '0')}.jsonl`);
    writeFileSync(next, `${line.slice(9)}\n`);
    expect(await verifyLogFile(dir)).toMatchObject({ ok: false, code: 'ERR_AUDIT_SIGNATURE_INVALID' });
    const before = [readFileSync(last), readFileSync(next)];
    await expect(openAuditDirectory(dir, { checkpoint })).rejects.toThrow(/spans two files, nothing was cut/);
    expect([readFileSync(last), readFileSync(next)]).toEqual(before);
  });

  it("a checkpoint by another key (an intruder's own, validly signed) refuses the open", async () => {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.append(event(0), AGENT);
    await log.close();
    await forgeWithOwnKey(path, OTHER);
    const before = readFileSync(path);
    for (const tornTail of ['recover', 'refuse'] as const) {
      const opening = openFileAuditLog(path, { checkpoint, tornTail });
      await expect(opening).rejects.toMatchObject({ code: 'ERR_AUDIT_CHECKPOINT_INVALID' });
      await expect(opening).rejects.toThrow(
        `signed by ${OTHER.id}, which is not checkpoint.signer nor one of previousLogKeys`,
      );
      await expect(opening).rejects.toThrow('otherwise the log was tampered with');
      expect(readFileSync(path)).toEqual(before);
    }
    // (A log key rotated from OTHER, named in previousLogKeys, is the next test.)
    // A writer that signs no checkpoints vouches for nothing, and is not asked.
    await (await openFileAuditLog(path)).close();
    await expect(openFileAuditLog(path, { previousLogKeys: [OTHER.id] })).rejects.toThrow(TypeError);
    await expect(openFileAuditLog(path, { checkpoint, previousLogKeys: ['did:key:nope'] })).rejects.toThrow(
      /previousLogKeys/,
    );
  });

  it('an earlier log key counts only until the current key has signed: a retired key that leaked vouches for nothing', async () => {
    const path = fresh();
    const first = await openFileAuditLog(path, { checkpoint: { ...checkpoint, signer: OTHER } });
    await first.appendBatched({ ...event(0), agent: OTHER.id });
    await first.close();
    // The rotation itself: the earlier key named, its checkpoint counts, and the log goes on.
    await expect(openFileAuditLog(path, { checkpoint })).rejects.toThrow('previousLogKeys');
    const rotated = await openFileAuditLog(path, { checkpoint, previousLogKeys: [OTHER.id] });
    expect(rotated.uncovered).toBeUndefined();
    await rotated.appendBatched(event(1));
    await rotated.close();
    // Someone holding the retired key appends a batched record and a checkpoint of that key over it.
    await forgeWithOwnKey(path, OTHER);
    const before = readFileSync(path);
    const opening = openFileAuditLog(path, { checkpoint, previousLogKeys: [OTHER.id] });
    await expect(opening).rejects.toMatchObject({ code: 'ERR_AUDIT_CHECKPOINT_INVALID' });
    await expect(opening).rejects.toThrow('an earlier log key, after a checkpoint by the current one');
    expect(readFileSync(path)).toEqual(before);
    expect(await verifyLogFile(path, { trust: [AGENT.id, LOG_KEY.id, OTHER.id] })).toMatchObject({ ok: true });
  });

  it('a forged checkpoint does not cover the batched records before it', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.appendBatched(event(0));
    await log.close();
    forgeCheckpoint(path);
    const reopened = await openFileAuditLog(path, { checkpoint, tornTail: 'refuse' }).catch((error: unknown) => error);
    expect(reopened).toBeInstanceOf(AuditError);
    expect((reopened as AuditError).code).toBe('ERR_AUDIT_CHECKPOINT_INVALID');
    // A bad signature is tampering, full stop: no hint to name a key.
    expect((reopened as AuditError).message).not.toContain('previousLogKeys');
  });

  it('no schedule of appends, crashes, reopens and forged appends gets a forged record into a verifying log (property)', async () => {
    const step = fc.oneof(
      fc.constant('batched' as const),
      fc.constant('signed' as const),
      fc.constant('checkpoint' as const),
      fc.constant('crash' as const),
      fc.constant('reopen' as const),
      fc.constant('forge' as const),
      fc.constant('forgeCheckpoint' as const),
      fc.constant('forgeOwnKey' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        let path = fresh();
        let log = await openFileAuditLog(path, { checkpoint });
        const open = [log];
        let i = 0;
        for (const s of steps) {
          if (s === 'forgeCheckpoint') {
            await log.close();
            if (!parsed(path).some((r) => r.type === 'checkpoint')) {
              log = await openFileAuditLog(path, { checkpoint });
              open.push(log);
              continue;
            }
            forgeCheckpoint(path);
            // A checkpoint whose signature does not verify is damage: the log is refused, and nothing covers anything.
            await expect(openFileAuditLog(path, { checkpoint })).rejects.toMatchObject({
              code: 'ERR_AUDIT_CHECKPOINT_INVALID',
            });
            await Promise.all(open.map((l) => l.close()));
            expect(await verifyLogFile(path)).toMatchObject({ ok: false });
            return;
          }
          if (s === 'forgeOwnKey') {
            await log.close();
            await forgeWithOwnKey(path, OTHER);
            // Another key's checkpoint is not this log's: refused, so this writer never vouches for what it covers.
            await expect(openFileAuditLog(path, { checkpoint })).rejects.toMatchObject({
              code: 'ERR_AUDIT_CHECKPOINT_INVALID',
            });
            await Promise.all(open.map((l) => l.close()));
            expect(await verifyLogFile(path, { trust, checkpointKeys: [LOG_KEY.id] })).toMatchObject({ ok: false });
            return;
          }
          if (s === 'batched') await log.appendBatched(event(i++));
          else if (s === 'signed') await log.append(event(i++), AGENT);
          else if (s === 'checkpoint') await log.checkpoint();
          else if (s === 'reopen' || s === 'forge') {
            await log.close();
            if (s === 'forge') forge(path, `forged-${i++}`);
            log = await openFileAuditLog(path, { checkpoint });
            open.push(log);
          } else {
            const copy = fresh();
            copyFileSync(path, copy);
            path = copy;
            log = await openFileAuditLog(path, { checkpoint });
            open.push(log);
          }
        }
        await Promise.all(open.map((l) => l.close()));
        const report = await verifyLogFile(path, { trust, checkpointKeys: [LOG_KEY.id] });
        expect(report).toMatchObject({ ok: true });
        expect(parsed(path).filter((r) => String(r.callId).startsWith('forged'))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('a report never counts a batched record no checkpoint covered as verified', () => {
  /** A log of one signed record and its checkpoint, then a forged batched record; `after` is appended last. */
  async function forgedLog(after: string): Promise<{ path: string; seq: number }> {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.append(event(0), AGENT);
    await log.close();
    const seq = lines(path).length;
    forge(path, 'forged');
    appendFileSync(path, after);
    return { path, seq };
  }

  it('a torn line after it: the uncovered record is the first problem', async () => {
    const { path, seq } = await forgedLog('{"v":1,"seq":');
    const expected = { ok: false, code: 'ERR_AUDIT_SIGNATURE_INVALID', line: seq + 1, records: seq };
    expect(verifyLog(readFileSync(path))).toMatchObject(expected);
    expect(await verifyLogFile(path)).toMatchObject(expected);
    expect(() => readLog(readFileSync(path))).toThrow(/record seq \d+ is batched/);
  });

  it('a bad record after it: reported at its line, the uncovered one not counted', async () => {
    const { path, seq } = await forgedLog('{"not":"a record"}\n');
    const expected = { ok: false, code: 'ERR_AUDIT_RECORD_MALFORMED', line: seq + 2, records: seq };
    expect(verifyLog(readFileSync(path))).toMatchObject(expected);
    expect(await verifyLogFile(path)).toMatchObject(expected);
  });

  it('a bad signature after it, found by a worker once a later checkpoint covered it: still not counted', async () => {
    const path = fresh();
    const log = await openFileAuditLog(path, { checkpoint });
    await log.append(event(0), AGENT);
    await log.appendBatched(event(1));
    await log.append(event(2), AGENT);
    await log.append(event(3), AGENT);
    await log.close();
    // Record 2 carries record 3's signature: its own check fails, and the checker reads on to the checkpoint.
    const all = lines(path);
    const two = JSON.parse(all[2] as string) as Record<string, unknown>;
    const three = JSON.parse(all[3] as string) as Record<string, unknown>;
    all[2] = recordLine({ ...two, sig: three.sig });
    writeFileSync(path, `${all.join('\n')}\n`);
    const expected = { ok: false, code: 'ERR_AUDIT_SIGNATURE_INVALID', line: 3, records: 1 };
    expect(verifyLog(readFileSync(path))).toMatchObject(expected);
    expect(await verifyLogFile(path, { workers: 1, batchSize: 1 })).toMatchObject({ ...expected, workers: 1 });
    expect(await verifyLogFile(path, { workers: 0 })).toMatchObject(expected);
  });
});

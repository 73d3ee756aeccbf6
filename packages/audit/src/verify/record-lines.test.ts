import { createAuditLog, createMemorySink } from '../index.js';
import { describe, expect, it } from 'vitest';
import { AGENT, event, fastSigner, OTHER, requestedEvent } from '../../test/helpers.js';
import { verifyRecordLine } from './record-line.js';
import { verifyRecordLines, verifyRecordLinesEach } from './record-lines.js';

/** 600 signed lines: events, and call.requested records carrying envelopes (one signed by the wrong key). */
async function lines(): Promise<string[]> {
  const sink = createMemorySink();
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  const log = createAuditLog({ sink, clock: () => t++ });
  const signer = fastSigner();
  for (let i = 0; i < 600; i++) {
    const ev = i % 3 === 0 ? requestedEvent(i, AGENT, i === 300 ? OTHER : AGENT) : event(i);
    await log.append(ev, signer);
  }
  await log.close();
  return sink.lines.slice();
}

/** The line with one base64 character of its signature changed (still canonical base64 of 64 bytes). */
function forgeSignature(line: string): string {
  const record = JSON.parse(line) as { sig: string };
  const c = record.sig[10] === 'A' ? 'B' : 'A';
  return line.replace(record.sig, `${record.sig.slice(0, 10)}${c}${record.sig.slice(11)}`);
}

describe('verifyRecordLines', () => {
  it('gives exactly what verifyRecordLine gives for every line, good or bad, on worker threads', async () => {
    const good = await lines();
    const bad = good.slice();
    for (const i of [5, 6, 250, 599]) bad[i] = forgeSignature(bad[i] as string);
    bad[7] = 'not json';
    for (const input of [good, bad, bad.map((l) => new TextEncoder().encode(l))]) {
      const expected = input.map((l) => verifyRecordLine(l));
      const got = await verifyRecordLines(input, { workers: 2 });
      expect(got).toEqual(expected);
    }
    const codes = (await verifyRecordLines(bad, { workers: 2 })).flatMap((r, i) => (r.ok ? [] : [[i, r.code]]));
    expect(codes).toEqual([
      [5, 'ERR_AUDIT_SIGNATURE_INVALID'],
      [6, 'ERR_AUDIT_SIGNATURE_INVALID'],
      [7, 'ERR_AUDIT_RECORD_MALFORMED'],
      [250, 'ERR_AUDIT_SIGNATURE_INVALID'],
      [300, 'ERR_AUDIT_ENVELOPE_INVALID'],
      [599, 'ERR_AUDIT_SIGNATURE_INVALID'],
    ]);
  });

  it('checks on the calling thread with workers: 0 or few lines, and refuses bad options', async () => {
    const some = (await lines()).slice(0, 10);
    expect(await verifyRecordLines(some)).toEqual(some.map((l) => verifyRecordLine(l)));
    expect(await verifyRecordLines(some, { workers: 0 })).toEqual(some.map((l) => verifyRecordLine(l)));
    await expect(verifyRecordLines('x' as never)).rejects.toThrow(TypeError);
    await expect(verifyRecordLines([], { workers: -1 })).rejects.toThrow(RangeError);
    await expect(verifyRecordLines([], { workers: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('verifyRecordLinesEach', () => {
  it('gives each line once, in order, and the final result of every line whose signature failed on a worker', async () => {
    const good = await lines();
    const bad = good.slice();
    for (const i of [5, 6, 250, 599]) bad[i] = forgeSignature(bad[i] as string);
    bad[7] = 'not json';
    for (const [input, workers] of [
      [good, 2],
      [bad, 2],
      [bad, 0],
      [bad.slice(0, 20), 2],
    ] as const) {
      const seen: number[] = [];
      const provisional: ReturnType<typeof verifyRecordLine>[] = [];
      const changed = await verifyRecordLinesEach(
        input,
        (index, result) => {
          seen.push(index);
          provisional[index] = result;
        },
        { workers },
      );
      expect(seen).toEqual(input.map((_, i) => i));
      const final = provisional.map((r, i) => changed.get(i) ?? r);
      expect(final).toEqual(input.map((l) => verifyRecordLine(l)));
      for (const [i, r] of changed) expect(provisional[i]?.ok === true && !r.ok).toBe(true);
    }
    await expect(verifyRecordLinesEach(good, 'x' as never)).rejects.toThrow(TypeError);
    await expect(verifyRecordLinesEach(good, () => {}, { workers: -1 })).rejects.toThrow(RangeError);
  });
});

import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { afterAll, describe, expect, it } from 'vitest';
import { type FollowEvent, followLog } from './follow.js';
import { learnProfile } from './learn.js';

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(9) });
const profile = learnProfile([
  {
    id: 'learn',
    agent: agent.id,
    calls: [
      { tool: 'get_ticket', args: { id: 'T-1' }, sideEffect: false, result: null },
      { tool: 'reply', args: { to: 'user@corp.example.com' }, sideEffect: true, result: null },
    ],
  },
]);

/** Record lines of a real, signed log: a benign pair, then a reply to an address the profile never saw. */
async function recordLines(): Promise<string[]> {
  const sink = createMemorySink();
  const log = createAuditLog({ sink });
  const calls = [
    { tool: 'get_ticket', args: { id: 'T-2' }, labels: [] },
    { tool: 'reply', args: { to: 'user@corp.example.com' }, labels: ['egress'] },
    { tool: 'get_ticket', args: { id: 'T-3' }, labels: [] },
    { tool: 'reply', args: { to: 'drop@evil.example.net' }, labels: ['egress'] },
  ];
  for (const [i, c] of calls.entries()) {
    const data = { args: c.args, labels: c.labels, session: 'run-1' };
    await log.append({ type: 'call.requested', callId: `c${i}`, agent: agent.id, tool: c.tool, data }, agent);
    await log.append({ type: 'call.completed', callId: `c${i}`, agent: agent.id, tool: c.tool, data: {} }, agent);
  }
  await log.close();
  return sink.text().trimEnd().split('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'agentguard-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pulls events until `until` holds, failing after `ms` without one. */
async function collect(it: AsyncIterator<FollowEvent>, until: (e: FollowEvent) => boolean, ms = 10_000) {
  const seen: FollowEvent[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const next = await Promise.race([
      it.next(),
      new Promise<'wait'>((r) => setTimeout(() => r('wait'), deadline - Date.now())),
    ]);
    if (next === 'wait' || next.done === true) break;
    seen.push(next.value);
    if (until(next.value)) return seen;
  }
  throw new Error(`no matching event; saw ${JSON.stringify(seen.map((e) => e.kind))}`);
}

describe('followLog', () => {
  it('follows a file being appended to: torn last line, alert with evidence, rotation, summary', async () => {
    const lines = await recordLines();
    const path = join(dir, 'live.jsonl');
    writeFileSync(path, `${lines.slice(0, 4).join('\n')}\n`);
    const follower = followLog(path, { profile, pollMs: 10 });
    const it = follower[Symbol.asyncIterator]();
    // Benign lines give no alert; the hijacked reply arrives torn in two writes.
    const hijack = lines[6] as string;
    appendFileSync(path, `${lines[4]}\n${lines[5]}\n${hijack.slice(0, 40)}`);
    // The third call is a known tool after a new transition: an alert below the threshold.
    const first = await collect(it, (e) => e.kind === 'alert');
    expect(first).toMatchObject([{ kind: 'alert', callId: 'c2', verdict: { flagged: false } }]);
    expect(follower.summary()[0]?.calls).toBe(3);
    appendFileSync(path, `${hijack.slice(40)}\n`);
    const events = await collect(it, (e) => e.kind === 'alert' && e.verdict.flagged);
    const alert = events.at(-1);
    expect(alert).toMatchObject({ kind: 'alert', agent: agent.id, session: 'run-1', tool: 'reply', callId: 'c3' });
    expect(alert?.kind === 'alert' && alert.verdict.alerts).toContainEqual({
      feature: 'value.ungrounded',
      expected: 'a value named in the request, a structured field of an earlier result, or the profile',
      seen: 'email:drop@evil.example.net, seen nowhere before',
    });
    expect(alert?.at.line).toBe(7);
    // Rotation: the file is renamed away and a new one is written at the path.
    renameSync(path, `${path}.1`);
    writeFileSync(path, `${lines[6]}\nnot json\n`);
    const after = await collect(it, (e) => e.kind === 'invalid');
    expect(after.map((e) => e.kind)).toEqual(['rotated', 'alert', 'invalid']);
    expect(after[2]?.at.line).toBe(2);
    const [row] = follower.summary();
    expect(row).toMatchObject({ agent: agent.id, calls: 5, flagged: 2, alerted: 3 });
    expect(row?.features['value.ungrounded']).toBe(2);
    follower.close();
    expect((await it.next()).done).toBe(true);
  });

  it('with follow: false reads what is there and ends; a missing file ends at once', async () => {
    const lines = await recordLines();
    const path = join(dir, 'done.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n{"torn":`);
    const follower = followLog(path, { profile, follow: false });
    const events: FollowEvent[] = [];
    for await (const e of follower) events.push(e);
    expect(events.map((e) => e.kind)).toEqual(['alert', 'alert']);
    expect(events.filter((e) => e.kind === 'alert' && e.verdict.flagged)).toHaveLength(1);
    const missing: FollowEvent[] = [];
    for await (const e of followLog(join(dir, 'nope.jsonl'), { profile, follow: false })) missing.push(e);
    expect(missing).toEqual([]);
  });

  it('contextLines: the first lines are context, neither yielded nor counted', async () => {
    const lines = await recordLines();
    const path = join(dir, 'context.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    // Lines 1-6 are the first three calls (a request and a completion each); the fourth is reported.
    const follower = followLog(path, { profile, follow: false, contextLines: 6 });
    const events: FollowEvent[] = [];
    for await (const e of follower) events.push(e);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'alert', at: { line: 7 }, callId: 'c3', verdict: { flagged: true } });
    expect(follower.summary()).toEqual([expect.objectContaining({ agent: agent.id, calls: 1, flagged: 1 })]);
    const all = followLog(path, { profile, follow: false, contextLines: lines.length });
    for await (const _ of all) expect.unreachable();
    expect(all.summary()).toEqual([]);
    expect(() => followLog('x', { profile, contextLines: -1 })).toThrow(RangeError);
    expect(() => followLog('x', { profile, contextLines: 1.5 })).toThrow(RangeError);
  });

  it('stops on an aborted signal and rejects bad options', async () => {
    const controller = new AbortController();
    const follower = followLog(join(dir, 'later.jsonl'), { profile, signal: controller.signal, pollMs: 10 });
    setTimeout(() => controller.abort(), 30);
    for await (const _ of follower) expect.unreachable();
    expect(() => followLog('', { profile })).toThrow(TypeError);
    expect(() => followLog('x', { profile, pollMs: 0 })).toThrow(RangeError);
    expect(() => followLog('x', { profile: {} as never })).toThrow(/profile/);
  });
});

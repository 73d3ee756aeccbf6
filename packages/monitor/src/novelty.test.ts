import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MonitorSession } from './call.js';
import { createDetector } from './detector.js';
import { learnProfile } from './learn.js';
import { MAX_POINTER_VALUES, MAX_POINTERS, parseProfile } from './profile.js';
import { type FoundValue, scanJson } from './values.js';

function found(value: unknown, pointers = false): FoundValue[] {
  const out: FoundValue[] = [];
  scanJson(value, (v, acc) => acc.push(v), out, { pointers });
  return out;
}
const keys = (value: unknown) => found(value).map((v) => v.key);

describe('file paths and SQL verbs', () => {
  it('finds absolute, home, relative and Windows paths', () => {
    expect(
      keys({ a: '/etc/passwd', b: 'copy ~/.ssh/id_rsa now', c: '../../etc/shadow', d: 'C:\\Users\\bob\\x.txt' }),
    ).toEqual(['path:/etc/passwd', 'path:~/.ssh/id_rsa', 'path:../../etc/shadow', 'path:C:\\Users\\bob\\x.txt']);
  });

  it('does not read a URL path, a date or a lone slash word as a path', () => {
    const k = keys({ u: 'see https://intranet/a/b and http://x.com/a/b', d: '12/05/2024 and 2024/05/12', w: 'and/or' });
    expect(k.filter((x) => x.startsWith('path:'))).toEqual([]);
  });

  it('finds SQL statement verbs in any case, normalised to the lower-case verb', () => {
    expect(
      keys([
        'DELETE FROM users WHERE 1=1',
        'select name, email from customers',
        'UPDATE accounts SET balance = 0',
        'Drop Table audit',
        'insert into t values (1)',
        'GRANT ALL ON db TO eve',
      ]),
    ).toEqual(['sql:delete', 'sql:select', 'sql:update', 'sql:drop', 'sql:insert', 'sql:grant']);
  });

  it('does not read prose as SQL', () => {
    expect(keys('Please update the file, select a colour and delete the draft; drop me a line')).toEqual([]);
  });

  it('gives whole values the JSON pointer of their field, array indices as *, RFC 6901 escapes', () => {
    const v = found(
      {
        to: ['a@corp.example.com', 'b@corp.example.com'],
        'x/y~': { p: '/srv/data/x' },
        body: 'mail c@corp.example.com',
      },
      true,
    );
    expect(v.map((f) => [f.key, f.pointer])).toEqual([
      ['email:a@corp.example.com', '/to/*'],
      ['email:b@corp.example.com', '/to/*'],
      ['path:/srv/data/x', '/x~1y~0/p'],
      ['email:c@corp.example.com', undefined],
    ]);
  });

  it('scanning any string is total and every pointer is a JSON pointer', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.string({ maxLength: 200 }), (value, text) => {
        for (const v of found({ value, text }, true)) {
          if (v.pointer !== undefined) expect(v.pointer).toMatch(/^(\/([^~/]|~[01])*)+$/);
        }
      }),
    );
  });
});

const pay = (i: number, to: string, extra: Record<string, unknown> = {}) => ({
  tool: 'pay',
  args: { to, memo: `invoice ${i}`, ...extra },
  sideEffect: true,
  result: { ok: true, id: i },
});
const sessions = (calls: MonitorSession['calls'][]): MonitorSession[] =>
  calls.map((c, i) => ({ id: `s${i}`, agent: 'bank', calls: c }));

describe('per-pointer value profiling', () => {
  const vendors = ['DE89370400440532013000', 'FR1420041010050500013M02606'];
  const profile = learnProfile(sessions(Array.from({ length: 8 }, (_, i) => [pay(i, vendors[i % 2] as string)])));

  it('learns the values each field held, with how often', () => {
    expect(profile.agents.bank?.tools.pay?.pointers).toEqual({
      '/to': { seen: 8, values: vendors.map((v) => `iban:${v}`).sort() },
    });
  });

  it('a value known to the profile but never at a stable field is evidence; a grounded one is not', () => {
    // The second IBAN is known (it was paid before) only under /memo's neighbour; move a known value to /to.
    const p = learnProfile(
      sessions([
        ...Array.from({ length: 8 }, (_, i) => [pay(i, vendors[0] as string)]),
        [pay(9, vendors[0] as string, { refund: 'GB29NWBK60161331926819' })],
      ]),
    );
    const d = createDetector(p);
    d.begin('x', { agent: 'bank' });
    const v = d.score({
      agent: 'bank',
      session: 'x',
      tool: 'pay',
      args: { to: 'GB29NWBK60161331926819', memo: 'm' },
      sideEffect: true,
    });
    expect(v.alerts).toEqual([
      {
        feature: 'value.pointer',
        expected: `at /to one of iban:${vendors[0]}`,
        seen: 'iban:GB29NWBK60161331926819 at /to',
      },
    ]);
    expect(v.flagged).toBe(false); // evidence, not a verdict alone
    d.begin('y', { agent: 'bank', prompt: 'Refund GB29 NWBK 6016 1331 9268 19 please' });
    const grounded = d.score({
      agent: 'bank',
      session: 'y',
      tool: 'pay',
      args: { to: 'GB29NWBK60161331926819', memo: 'm' },
      sideEffect: true,
    });
    expect(grounded.alerts).toEqual([]);
  });

  it('with an unknown value, both the origin and the field fire and the call is flagged', () => {
    const d = createDetector(profile);
    const v = d.score({
      agent: 'bank',
      session: 'z',
      tool: 'pay',
      args: { to: 'NL91ABNA0417164300', memo: 'm' },
      sideEffect: true,
    });
    expect(v.alerts.map((a) => a.feature)).toEqual(['value.ungrounded', 'value.pointer']);
    expect(v.flagged).toBe(true);
  });

  it('a field seen too rarely or with too many values is not checked', () => {
    const rare = learnProfile(sessions([[pay(1, vendors[0] as string)], [pay(2, vendors[0] as string)]]));
    expect(rare.agents.bank?.tools.pay?.pointers?.['/to']).toEqual({ seen: 2, values: [`iban:${vendors[0]}`] });
    const d = createDetector(rare, { weights: { 'value.ungrounded': 0 } });
    expect(
      d.score({ agent: 'bank', tool: 'pay', args: { to: 'NL91ABNA0417164300' }, sideEffect: true }).alerts,
    ).toEqual([]);
  });

  it('is bounded: past the value bound a field is varied, past the field bound new fields are not kept', () => {
    const many = Array.from({ length: MAX_POINTER_VALUES + 1 }, (_, i) => [
      pay(
        i,
        `user${i}@corp.example.com`,
        Object.fromEntries(Array.from({ length: 80 }, (_, j) => [`f${j}`, `/srv/x${j}/y`])),
      ),
    ]);
    const tool = learnProfile(sessions(many)).agents.bank?.tools.pay;
    expect(tool?.pointers?.['/to']).toEqual({ seen: MAX_POINTER_VALUES + 1, values: null });
    expect(Object.keys(tool?.pointers ?? {}).length).toBe(MAX_POINTERS);
  });

  it('a profile from before pointers, result sizes, paths and SQL still parses and scores', () => {
    const old = structuredClone(profile) as {
      agents: Record<
        string,
        {
          tools: Record<string, Record<string, unknown>>;
          values: Record<string, unknown>;
          environment: Record<string, unknown>;
        }
      >;
    };
    for (const a of Object.values(old.agents)) {
      for (const t of Object.values(a.tools)) {
        delete t.pointers;
        delete t.resultSize;
      }
      for (const set of [a.values, a.environment]) {
        delete set.path;
        delete set.sql;
      }
    }
    const d = createDetector(parseProfile(old));
    expect(d.score({ agent: 'bank', tool: 'pay', args: { to: vendors[0] }, sideEffect: true }).score).toBe(0);
  });

  it('an unseen SQL verb or path in a side-effect call is an ungrounded value', () => {
    const db = learnProfile(
      sessions(
        Array.from({ length: 3 }, () => [
          { tool: 'query', args: { sql: 'SELECT * FROM t' }, sideEffect: true, result: [] },
        ]),
      ),
    );
    const d = createDetector(db);
    const v = d.score({ agent: 'bank', tool: 'query', args: { sql: 'DROP TABLE t' }, sideEffect: true });
    expect(v.alerts.map((a) => [a.feature, a.seen])).toContainEqual([
      'value.ungrounded',
      'sql:drop, seen nowhere before',
    ]);
    const known = d.score({
      agent: 'bank',
      session: 'fresh',
      tool: 'query',
      args: { sql: 'select a from b' },
      sideEffect: true,
    });
    expect(known.alerts).toEqual([]);
  });
});

describe('result sizes', () => {
  const read = (n: number) => ({ tool: 'read', args: { id: 'x' }, sideEffect: false, result: 'r'.repeat(n) });
  const profile = learnProfile(sessions([[read(100)], [read(200)], [read(300)], [read(50)]]));

  it('learns the distribution of a tool result sizes', () => {
    expect(profile.agents.bank?.tools.read?.resultSize).toEqual({ count: 4, p50: 100, p95: 300, max: 300 });
  });

  it('a result far larger than learned is a verdict of its own after the call, and counts in the next call', () => {
    const d = createDetector(profile);
    const call = { agent: 'bank', session: 's', tool: 'read', args: { id: 'x' }, sideEffect: false };
    expect(d.score(call).alerts).toEqual([]);
    expect(d.observe(call, 'r'.repeat(1200))).toBeUndefined(); // within 4 x 300
    const after = d.observe(call, { rows: Array.from({ length: 100 }, () => 'r'.repeat(20)) });
    expect(after).toEqual({
      score: 0.5,
      flagged: false,
      alerts: [
        {
          feature: 'size.result',
          expected: 'a result of read at most 1200 long (largest learned: 300)',
          seen: 'a result more than 1200 long',
        },
      ],
    });
    const next = d.score(call);
    expect(next.alerts.map((a) => a.feature)).toContain('size.result');
    expect(d.score(call).alerts.map((a) => a.feature)).not.toContain('size.result'); // counted once
  });

  it('a tool learned without results (an audit log) is not checked', () => {
    const p = learnProfile(sessions([[{ ...read(1), result: null }]]));
    expect(p.agents.bank?.tools.read?.resultSize).toBeUndefined();
    const d = createDetector(p);
    expect(
      d.observe({ agent: 'bank', tool: 'read', args: {}, sideEffect: false }, 'r'.repeat(100_000)),
    ).toBeUndefined();
  });
});

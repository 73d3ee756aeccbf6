import { RISK_TIERS } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ControlTool, defaultHighRisk, scopeCovers } from './control.js';

const tool = (over: Partial<ControlTool> = {}): ControlTool => ({
  name: 't',
  tags: [],
  labels: [],
  sensitive: false,
  ...over,
});

describe('defaultHighRisk: the risk tiers decide which tools fail closed on a stale status', () => {
  it('high and critical tiers fail closed; a read-only tool does not', () => {
    expect(defaultHighRisk(tool({ tags: ['payment'] }))).toBe(true);
    expect(defaultHighRisk(tool({ tags: ['delete'] }))).toBe(true);
    expect(defaultHighRisk(tool({ sensitive: true }))).toBe(true);
    expect(defaultHighRisk(tool({ labels: ['reads:secrets'] }))).toBe(true);
    expect(defaultHighRisk(tool({ labels: ['reads:pii', 'egress'] }))).toBe(true); // critical
    expect(defaultHighRisk(tool({ tags: ['read'] }))).toBe(false);
    expect(defaultHighRisk(tool({ labels: ['reads:pii'] }))).toBe(false); // medium, acts on nothing
    expect(defaultHighRisk(tool())).toBe(false);
  });

  it('a medium tool that writes or sends out fails closed unless it declares its tier', () => {
    for (const over of [
      { tags: ['write'] },
      { tags: ['external'] },
      { labels: ['egress'] },
      { labels: ['egress:mail'] },
    ]) {
      expect(defaultHighRisk(tool(over))).toBe(true);
      expect(defaultHighRisk(tool({ ...over, risk: 'medium' }))).toBe(false);
    }
  });

  it('a declared tier replaces the computed one, both ways', () => {
    expect(defaultHighRisk(tool({ tags: ['payment'], risk: 'low' }))).toBe(false);
    expect(defaultHighRisk(tool({ risk: 'high' }))).toBe(true);
    expect(defaultHighRisk(tool({ risk: 'critical' }))).toBe(true);
  });

  it('a tier it cannot read fails closed', () => {
    expect(defaultHighRisk(tool({ risk: 'severe' as never }))).toBe(true);
  });

  it('property: with a declared tier, high-risk is exactly high or critical', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RISK_TIERS),
        fc.array(fc.constantFrom('write', 'payment', 'read', 'external', 'delete')),
        fc.boolean(),
        (risk, tags, sensitive) => {
          expect(defaultHighRisk(tool({ risk, tags, sensitive }))).toBe(risk === 'high' || risk === 'critical');
        },
      ),
    );
  });
});

describe('scopeCovers: a tool measure matches by the tool-name grammar, wherever its * is', () => {
  const t = (name: string) => tool({ name });
  const covers = (value: string, name: string) => scopeCovers({ kind: 'tool', value }, 'did:key:z', t(name));
  it('names and patterns with * anywhere', () => {
    expect(covers('db.delete', 'db.delete')).toBe(true);
    expect(covers('db.*', 'db.delete')).toBe(true);
    expect(covers('*.delete', 'db.delete')).toBe(true);
    expect(covers('db.*.drop', 'db.users.drop')).toBe(true);
    expect(covers('d*e', 'db.delete')).toBe(true);
    expect(covers('*.delete', 'db.read')).toBe(false);
    expect(covers('db.read', 'db.delete')).toBe(false);
  });
  it('a value that is neither a name nor a pattern covers everything (fail closed)', () => {
    expect(covers('bad value with spaces', 'db.read')).toBe(true);
    expect(covers('', 'db.read')).toBe(true);
  });
  it('property: a pattern of a name with any one segment starred covers the name', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (segs, k) => {
          const name = segs.join('.');
          const starred = segs.map((s, i) => (i === k % segs.length ? '*' : s)).join('.');
          expect(covers(starred, name)).toBe(true);
        },
      ),
    );
  });
});

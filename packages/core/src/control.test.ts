import { RISK_TIERS } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ControlTool, defaultHighRisk } from './control.js';

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

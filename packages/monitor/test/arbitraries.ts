import fc from 'fast-check';
import type { MonitorSession } from '../src/call.js';

const TOOLS = ['search', 'read_file', 'get_balance', 'send_email', 'send_money', 'post'];
const VALUES = ['ann@corp.example.com', 'bo@x.example.org', 'DE89370400440532013000', 'www.shop.com', 'plain text'];
/** Small random sessions over a few agents, tools and recipient-like values. */
export const sessionsArb = fc.array(
  fc.record({
    agent: fc.constantFrom('bank', 'mail'),
    calls: fc.array(
      fc.record({
        tool: fc.constantFrom(...TOOLS),
        to: fc.constantFrom(...VALUES),
        result: fc.option(fc.constantFrom(...VALUES.map((v) => ({ v }))), { nil: null }),
      }),
      { maxLength: 6 },
    ),
  }),
  { minLength: 1, maxLength: 8 },
);
/** A value of {@link sessionsArb}. */
export type RawSessions = typeof sessionsArb extends fc.Arbitrary<infer T> ? T : never;

/** Turns generated sessions into monitor sessions (`send*` and `post` have side effects). */
export function toSessions(raw: RawSessions): MonitorSession[] {
  return raw.map((s, i) => ({
    id: `s${i}`,
    agent: s.agent,
    calls: s.calls.map((c) => ({
      tool: c.tool,
      args: { to: c.to },
      sideEffect: c.tool.startsWith('send') || c.tool === 'post',
      result: c.result,
    })),
  }));
}

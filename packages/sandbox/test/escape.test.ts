import { describe, expect, it } from 'vitest';
import { SandboxError } from '../src/errors.js';
import { bwrapAvailable } from '../src/platform.js';
import type { SandboxEvent } from '../src/runner.js';
import { sandboxed } from '../src/sandboxed.js';
import { ESCAPES } from './escape-corpus.js';

const MODULE = new URL('./fixtures/escapes.mjs', import.meta.url);
process.env.AGENTGUARD_TEST_SECRET = 'parent-secret-never-in-the-sandbox';

async function attempt(isolation: 'process' | 'bwrap', name: string, args: unknown = {}, deadlineMs = 1500) {
  const events: SandboxEvent[] = [];
  const tool = sandboxed({
    tool: 'escape',
    module: MODULE,
    export: name,
    isolation,
    warm: 0,
    deadlineMs,
    memoryMb: 64,
    maxRssMb: 100,
    onEvent: (e) => events.push(e),
  });
  try {
    const value = await tool.execute(args, { callId: `call-${name}`, agent: 'did:key:test' }).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    return { value, events };
  } finally {
    await tool.close();
  }
}

function escapeSuite(isolation: 'process' | 'bwrap', cases: typeof ESCAPES) {
  it(`the corpus has at least 30 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(isolation === 'process' ? 30 : 10);
  });
  it.concurrent.each(cases.map(([n, c]) => [n, c]))(
    '%s is refused or contained, with an audit event',
    async (name, codes) => {
      const { value, events } = await attempt(isolation, name);
      expect(value.ok).toBe(false);
      const error = (value as { e: SandboxError }).e;
      expect(error).toBeInstanceOf(SandboxError);
      expect(codes).toContain(error.code);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'sandbox.failed', callId: `call-${name}`, code: error.code }),
      );
    },
  );
  it('prototype keys across the bridge stay plain data in both directions', async () => {
    const back = await attempt(isolation, 'protoResult');
    expect(back.value).toMatchObject({ ok: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const sent = await attempt(isolation, 'protoArgs', JSON.parse('{"__proto__":{"polluted":1}}'));
    expect(sent.value).toEqual({ ok: true, v: { ownProto: true, proto: true } });
  });
  it('the RSS watchdog, not the deadline, ends an off-heap memory bomb', async () => {
    const { value } = await attempt(isolation, 'bufferBomb', {}, 30_000);
    expect(value).toMatchObject({ ok: false, e: { code: 'ERR_SANDBOX_MEMORY' } });
  });
  it('the agent process is still here and unpolluted', () => {
    expect(process.env.AGENTGUARD_TEST_SECRET).toBeDefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
}

describe('escape corpus, process runner', () => {
  escapeSuite('process', ESCAPES);
});

const bwrap = bwrapAvailable();
const BWRAP_CASES = ESCAPES.filter(([n]) =>
  [
    'readEtcPasswd',
    'readHome',
    'writeTmp',
    'forkBomb',
    'childProcessExec',
    'parentMem',
    'signalParent',
    'infiniteLoop',
    'bufferBomb',
    'stdoutFlood',
    'envSecret',
    'nativeAddon',
  ].includes(n),
);

describe(`bubblewrap here: ${bwrap.ok ? 'available' : `NOT available (${bwrap.reason})`}`, () => {
  it('detection agrees with the platform (Linux with bwrap in CI)', () => {
    if (process.platform === 'linux' && process.env.CI === 'true')
      expect(bwrap).toEqual({ ok: true, reason: 'bwrap works' });
    expect(typeof bwrap.reason).toBe('string');
  });
  it('checks the bwrap binary a runner is given, whatever was checked before', () => {
    // Each path is checked on its own: an answer for 'bwrap' says nothing of a binary that is not there.
    expect(() => sandboxed({ tool: 't', module: MODULE, isolation: 'bwrap', bwrapPath: '/nonexistent/bwrap' })).toThrow(
      expect.objectContaining({
        code: 'ERR_SANDBOX_UNAVAILABLE',
        message: expect.stringContaining('install bubblewrap'),
      }),
    );
  });
  if (!bwrap.ok) {
    it('refuses to start a bwrap runner with ERR_SANDBOX_UNAVAILABLE', () => {
      expect(() => sandboxed({ tool: 't', module: MODULE, isolation: 'bwrap' })).toThrow(
        expect.objectContaining({ code: 'ERR_SANDBOX_UNAVAILABLE' }),
      );
    });
  } else {
    describe('escape corpus, bwrap runner', () => {
      escapeSuite('bwrap', BWRAP_CASES);
    });
  }
});

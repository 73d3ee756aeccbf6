import { describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../engine/engine.js';
import { markIsolation, runnerGrantsOf } from './brand.js';
import {
  grantsExceeded,
  isEgressGrant,
  isGrantPath,
  mergeGrants,
  normaliseGrantPath,
  type RunnerGrants,
} from './grants.js';

const runner = (over: Partial<RunnerGrants>): RunnerGrants => ({ read: [], write: [], egress: [], ...over });

describe('grant paths', () => {
  it('normalise lexically, clamped at the root', () => {
    expect(normaliseGrantPath('/data/in/../../etc')).toBe('/etc');
    expect(normaliseGrantPath('/../../etc/./passwd')).toBe('/etc/passwd');
    expect(normaliseGrantPath('//data///in/')).toBe('/data/in');
    expect(normaliseGrantPath('/')).toBe('/');
    for (const bad of ['data', '', './data', '/data/*', '/da\0ta']) expect(normaliseGrantPath(bad)).toBeUndefined();
  });

  it('in a policy must already be normal', () => {
    for (const ok of ['/', '/data', '/data/in']) expect(isGrantPath(ok)).toBe(true);
    for (const bad of ['/data/', '/data/../etc', '/data/./in', '//data', 'data', '/data/*', 1]) {
      expect(isGrantPath(bad)).toBe(false);
    }
  });

  it('egress grants are host:port with a lower-case host or *. wildcard', () => {
    for (const ok of ['api.example.com:443', '*.example.com:8443', 'localhost:1', '127.0.0.1:65535']) {
      expect(isEgressGrant(ok)).toBe(true);
    }
    for (const bad of ['api.example.com', 'API.example.com:443', 'a.com:0', 'a.com:65536', '*:443', 'a.*.com:443']) {
      expect(isEgressGrant(bad)).toBe(false);
    }
  });
});

describe('grantsExceeded', () => {
  const grants = { read: ['/data/in'], write: ['/data/out'], egress: ['api.example.com:443', '*.cdn.example:443'] };

  it('is empty for a runner within the grants', () => {
    const within = runner({
      read: ['/data/in', '/data/in/sub', '/data/in/x/../y'],
      write: ['/data/out/tmp'],
      egress: [
        { host: 'api.example.com', ports: [443] },
        { host: 'img.cdn.example', ports: [443] },
        { host: '*.eu.cdn.example', ports: [443] },
      ],
    });
    expect(grantsExceeded(within, grants)).toEqual([]);
  });

  it('names each read, write and egress beyond the grants', () => {
    const beyond = runner({
      read: ['/data/in', '/etc'],
      write: ['/data/in'],
      egress: [
        { host: 'api.example.com', ports: [443, 80] },
        { host: 'evil.example', ports: [443] },
        { host: 'cdn.example', ports: [443] },
        { host: '*.example.com', ports: [443] },
      ],
    });
    expect(grantsExceeded(beyond, grants)).toEqual([
      'read:/etc',
      'write:/data/in',
      'egress:api.example.com:80',
      'egress:evil.example:443',
      'egress:cdn.example:443',
      'egress:*.example.com:443',
    ]);
  });

  it('is not fooled by .. or by a shared string prefix', () => {
    const tricks = runner({
      read: ['/data/in/../../etc', '/data/input', '/data/in-other', '/data'],
      write: ['/data/out/../../data/outside', '/data/outbox'],
    });
    expect(grantsExceeded(tricks, grants)).toEqual([
      'read:/data/in/../../etc',
      'read:/data/input',
      'read:/data/in-other',
      'read:/data',
      'write:/data/out/../../data/outside',
      'write:/data/outbox',
    ]);
  });

  it('refuses runner paths that are relative or hold a wildcard, and grants nothing an absent list does not name', () => {
    expect(grantsExceeded(runner({ read: ['data/in', '/data/in*'] }), grants)).toEqual([
      'read:data/in',
      'read:/data/in*',
    ]);
    expect(grantsExceeded(runner({ write: ['/tmp'] }), { read: ['/'] })).toEqual(['write:/tmp']);
    expect(grantsExceeded(runner({ read: ['/anything'] }), { read: ['/'] })).toEqual([]);
  });
});

describe('mergeGrants', () => {
  it('keeps only what every obligation grants (an absent list empties it)', () => {
    const merged = mergeGrants([
      { read: ['/data', '/srv/a'], write: ['/data/out'], egress: ['*.example.com:443', 'b.example:80'] },
      undefined,
      { read: ['/data/in', '/srv'], egress: ['api.example.com:443', 'b.example:443'] },
    ]);
    expect(merged).toEqual({ read: ['/data/in', '/srv/a'], write: [], egress: ['api.example.com:443'] });
    expect(Object.isFrozen(merged)).toBe(true);
    expect(mergeGrants([undefined, undefined])).toBeUndefined();
  });
});

describe('grants in a policy', () => {
  const policy = (grants: unknown, where: 'rule' | 'default' = 'rule') => ({
    version: 1,
    ...(where === 'default' ? { obligations: { grants } } : {}),
    rules: [{ id: 'r', effect: 'allow', tools: ['t'], ...(where === 'rule' ? { obligations: { grants } } : {}) }],
  });
  const decide = (engine: ReturnType<typeof createPolicyEngine>) =>
    engine.decide({ agent: { id: 'did:key:z6MkAgent', name: 'a' }, tool: { name: 't' }, args: {} });

  it('are refused at load when malformed or carrying unknown keys', () => {
    for (const where of ['rule', 'default'] as const) {
      for (const bad of [
        { read: ['/data/'] },
        { read: ['/data/../etc'] },
        { write: ['relative'] },
        { egress: ['api.example.com'] },
        { exec: ['/bin'] },
        { read: '/data' },
      ]) {
        expect(() => createPolicyEngine(policy(bad, where)), JSON.stringify(bad)).toThrow(/grants/);
      }
    }
  });

  it('reach the decision, merged from the default and the rule', async () => {
    const engine = createPolicyEngine({
      version: 1,
      obligations: { grants: { read: ['/data'], egress: ['api.example.com:443'] } },
      rules: [{ id: 'r', effect: 'allow', tools: ['t'], obligations: { grants: { read: ['/data/in', '/etc'] } } }],
    });
    const d = await decide(engine);
    expect(d.obligations?.grants).toEqual({ read: ['/data/in'], write: [], egress: [] });
  });
});

describe('the runner mark', () => {
  it('carries a frozen copy of the runner configuration', () => {
    const config = { read: ['/data/in'], write: [], egress: [{ host: 'api.example.com', ports: [443] }] };
    const execute = markIsolation(() => 1, 'process', config);
    config.read.push('/etc');
    const read = runnerGrantsOf(execute);
    expect(read).toEqual({ read: ['/data/in'], write: [], egress: [{ host: 'api.example.com', ports: [443] }] });
    expect(Object.isFrozen(read?.egress[0]?.ports)).toBe(true);
    expect(runnerGrantsOf(() => 1)).toBeUndefined();
    expect(runnerGrantsOf(markIsolation(() => 1, 'bwrap'))).toEqual({ read: [], write: [], egress: [] });
  });

  it('refuses a malformed configuration', () => {
    expect(() => markIsolation(() => 1, 'process', { read: '/data' } as never)).toThrow(TypeError);
    expect(() =>
      markIsolation(() => 1, 'process', { read: [], write: [], egress: [{ host: 'a', ports: ['443'] }] } as never),
    ).toThrow(TypeError);
  });
});

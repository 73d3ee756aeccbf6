/**
 * Invariant: a `pathPrefix` condition holds only for a path whose real location (what the OS opens, after
 * symbolic links, `..` and its own separators) lies inside the directory; a path its text cannot place is
 * undecided, so it never satisfies an allow rule and always satisfies a deny rule.
 */
import { lstat, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import { createPolicyEngine, type PolicyEngineOptions } from '@agentguard/policy';
import { resolveRealPath } from '@agentguard/policy/node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const agent = { id: 'did:key:z6MkAgent', name: 'bot' };
let root = '';

beforeAll(async () => {
  // Real paths (macOS /tmp is a link), so the prefixes are what realpath returns.
  root = await realpath(await mkdtemp(`${tmpdir()}/ag-paths-`));
  for (const dir of ['data/sub', 'data/secret', 'outside', 'secret', 'etc/cron.d']) {
    await mkdir(`${root}/${dir}`, { recursive: true });
  }
  await writeFile(`${root}/secret/key`, 'real secret');
  await writeFile(`${root}/data/secret/key`, 'decoy');
  await writeFile(`${root}/data/note`, 'note');
  await symlink(`${root}/outside`, `${root}/data/link`); // leads out of data
  await symlink(`${root}/data/sub`, `${root}/data/inner`); // stays inside
  await symlink(`${root}/etc/cron.d/job`, `${root}/data/dangling`); // dangling, into etc
});

afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

/** An engine allowing reads under <root>/data and denying anything under <root>/etc and <root>/secret. */
function engines(options: PolicyEngineOptions = {}) {
  const allowData = createPolicyEngine(
    {
      version: 1,
      rules: [{ id: 'data', effect: 'allow', tools: ['fs'], when: { '/path': { pathPrefix: [`${root}/data`] } } }],
    },
    options,
  );
  const denyEtc = createPolicyEngine(
    {
      version: 1,
      rules: [
        { id: 'base', effect: 'allow', tools: ['fs'] },
        {
          id: 'etc',
          effect: 'deny',
          tools: ['fs'],
          when: { '/path': { pathPrefix: [`${root}/etc`, `${root}/secret`] } },
        },
      ],
    },
    options,
  );
  const decide = async (engine: typeof allowData, path: string) =>
    (await engine.decide({ agent, tool: { name: 'fs' }, args: { path } })).effect;
  return {
    allowed: (path: string) => decide(allowData, path),
    passesDeny: async (path: string) => (await decide(denyEtc, path)) === 'allow',
  };
}

const inside = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** Where the OS would open (or create, `mkdir -p` style) `path`; undefined when it could not. */
async function whereOsOpens(path: string, depth = 0): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    try {
      await lstat(path);
      return undefined; // exists but does not resolve: a dangling link, followed on create to its target
    } catch {
      const name = posix.basename(path);
      if (depth > 16 || name === '..' || name === '.' || posix.dirname(path) === path) return undefined;
      const parent = await whereOsOpens(posix.dirname(path), depth + 1);
      return parent === undefined ? undefined : posix.join(parent, name);
    }
  }
}

const segment = fc.constantFrom(
  'data',
  'sub',
  'secret',
  'key',
  'note',
  'link',
  'inner',
  'dangling',
  'outside',
  'etc',
  'cron.d',
  '..',
  '.',
  '',
  'new',
  'DATA',
  '%2e%2e',
  'x\\..\\..\\data',
  'a\\b',
);

describe('symlink + `..` escapes a path prefix', () => {
  it('resolves the raw path, so data/link/../secret/key (really <root>/secret/key) is not allowed', async () => {
    const path = `${root}/data/link/../secret/key`;
    expect(await realpath(path)).toBe(`${root}/secret/key`);
    for (const options of [{}, { resolvePath: resolveRealPath }, { resolvePath: (p: string) => realpath(p) }]) {
      const e = engines(options);
      expect(await e.allowed(path)).toBe('deny');
      expect(await e.passesDeny(path)).toBe(false);
    }
  });

  it('still allows what really is inside, through a link that stays inside', async () => {
    const e = engines({ resolvePath: resolveRealPath });
    expect(await e.allowed(`${root}/data/inner/new-file`)).toBe('allow');
    expect(await e.allowed(`${root}/data/note`)).toBe('allow');
    expect(await e.allowed(`${root}/data/dangling`)).toBe('deny'); // a create would follow it into etc
    expect(await e.passesDeny(`${root}/data/dangling`)).toBe(false);
  });

  it('fuzz: whatever the policy allows under <root>/data really lies inside <root>/data', async () => {
    const withResolver = engines({ resolvePath: resolveRealPath });
    const textOnly = engines();
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 7 }), async (segments) => {
        const path = `${root}/${segments.join('/')}`;
        const real = await whereOsOpens(path);
        const e = withResolver;
        if ((await e.allowed(path)) === 'allow') {
          expect(real, path).toBeDefined();
          expect(inside(real as string, `${root}/data`), `${path} -> ${real}`).toBe(true);
        }
        if ((await e.passesDeny(path)) && real !== undefined) {
          expect(inside(real, `${root}/etc`) || inside(real, `${root}/secret`), path).toBe(false);
        }
        // Without a resolver links are invisible (documented), but `..` is never placed by text.
        if ((await textOnly.allowed(path)) === 'allow') {
          expect(segments.includes('..'), path).toBe(false);
          expect(inside(posix.resolve(path), `${root}/data`), path).toBe(true);
        }
      }),
      fuzzParams(),
    );
  });
});

describe('backslash paths escape path rules on POSIX', () => {
  it('does not read \\ as a separator: the review paths are not allowed, and are denied', async () => {
    for (const options of [{}, { resolvePath: resolveRealPath }]) {
      const e = engines(options);
      expect(await e.allowed(`${root}/secret/x\\..\\..\\data\\note`)).toBe('deny');
      expect(await e.passesDeny(`${root}/etc/cron.d/job\\..\\..\\..\\tmp`)).toBe(false);
    }
  });

  it.each([
    ['relative', 'data/note'],
    ['NUL', `\0/data/note`],
    ['percent-encoded ..', '/data/%2e%2e/secret/key'],
    ['case variant', '/DATA/note'],
    ['fullwidth letters', '/ｄａｔａ/note'],
    ['prefix confusion', '/database/x'],
    ['very long', `/data/${'a/'.repeat(3000)}x`],
    ['trailing ..', '/data/..'],
  ])('%s: never allowed unless really inside', async (_name, suffix) => {
    const e = engines();
    const path = suffix.startsWith('/') ? `${root}${suffix}` : suffix;
    expect(await e.allowed(path)).toBe('deny');
  });

  it('reads Windows paths only when asked, case-insensitively, refusing what Windows rewrites', async () => {
    const engine = createPolicyEngine({
      version: 1,
      rules: [
        {
          id: 'w',
          effect: 'allow',
          tools: ['fs'],
          when: { '/path': { pathPrefix: ['C:\\data'], pathStyle: 'windows' } },
        },
      ],
    });
    const decide = async (path: string) =>
      (await engine.decide({ agent, tool: { name: 'fs' }, args: { path } })).effect;
    expect(await decide('c:\\Data\\file.txt')).toBe('allow');
    for (const bad of [
      'C:\\data\\..\\x',
      'C:\\data.\\x',
      'C:\\data\\CON',
      'C:\\DATA~1\\x',
      '\\\\?\\C:\\data\\x',
      'C:\\data\\a:s',
    ]) {
      expect(await decide(bad), bad).toBe('deny');
    }
  });

  it('fuzz: an allowed path lies inside under both the POSIX and the Windows reading; a path passing a deny lies outside under both', async () => {
    const e = engines();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(segment, fc.constantFrom('/', '\\', '//')), { minLength: 1, maxLength: 7 }),
        async (parts) => {
          const path = `${root}/${parts.map(([s, sep]) => s + sep).join('')}`;
          // POSIX reads `\\` as a character; Windows as a separator.
          const readings = [posix.resolve(path), posix.resolve(path.replaceAll('\\', '/'))];
          if ((await e.allowed(path)) === 'allow') {
            for (const r of readings) expect(inside(r, `${root}/data`), `${path} read as ${r}`).toBe(true);
          }
          if (await e.passesDeny(path)) {
            for (const r of readings) {
              expect(inside(r, `${root}/etc`) || inside(r, `${root}/secret`), `${path} read as ${r}`).toBe(false);
            }
          }
        },
      ),
      fuzzParams(),
    );
  });
});

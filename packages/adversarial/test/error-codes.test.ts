/**
 * Invariant: an error code alone says which package it came from. Every package exports the list of its
 * codes; each code carries its package's family prefix, is unique across the whole project (users and the
 * CLI switch on `code`, and `instanceof` fails across two installed copies), and is produced by its package's
 * source: a listed code nothing produces is a promise no test can keep. The reverse holds too: every code
 * literal in any package's source is in some list, so no open string escapes into a record or a Denial.
 * Convention: docs/decisions/0007-error-codes.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTER_ERROR_CODES } from '@agentguard/adapters';
import { ASSESS_ERROR_CODES } from '@agentguard/assess';
import { APPROVAL_ERROR_CODES, ATTESTATION_ERROR_CODES } from '@agentguard/attestation';
import { AUDIT_ERROR_CODES } from '@agentguard/audit';
import { GUARD_ERROR_CODES, GUARD_RECORD_CODES } from '@agentguard/core';
import { BUNDLE_ERROR_CODES, OCSF_ERROR_CODES } from '@agentguard/evidence';
import { IDENTITY_ERROR_CODES } from '@agentguard/identity';
import { INCIDENT_ERROR_CODES } from '@agentguard/incident';
import { MONITOR_ERROR_CODES } from '@agentguard/monitor';
import { POLICY_ERROR_CODES } from '@agentguard/policy';
import { SANDBOX_ERROR_CODES } from '@agentguard/sandbox';
import { STATEMENT_ERROR_CODES } from '@agentguard/statement';
import { VIEWER_ERROR_CODES } from '@agentguard/viewer';
import { describe, expect, it } from 'vitest';
import { CLI_ERROR_CODES } from '../../cli/src/errors.js';

const PACKAGES = new URL('../../', import.meta.url).pathname;

/** Each exported list, the package directory whose source must produce it, and its family prefix. */
const LISTS: ReadonlyArray<{ name: string; dir: string; prefix: string; codes: readonly string[] }> = [
  { name: 'STATEMENT_ERROR_CODES', dir: 'statement', prefix: 'ERR_STATEMENT_', codes: STATEMENT_ERROR_CODES },
  { name: 'IDENTITY_ERROR_CODES', dir: 'identity', prefix: 'ERR_IDENTITY_', codes: IDENTITY_ERROR_CODES },
  { name: 'ATTESTATION_ERROR_CODES', dir: 'attestation', prefix: 'ERR_ATTESTATION_', codes: ATTESTATION_ERROR_CODES },
  { name: 'POLICY_ERROR_CODES', dir: 'policy', prefix: 'ERR_POLICY_', codes: POLICY_ERROR_CODES },
  {
    name: 'APPROVAL_ERROR_CODES',
    dir: 'attestation',
    prefix: 'ERR_ATTESTATION_APPROVAL_',
    codes: APPROVAL_ERROR_CODES,
  },
  { name: 'AUDIT_ERROR_CODES', dir: 'audit', prefix: 'ERR_AUDIT_', codes: AUDIT_ERROR_CODES },
  { name: 'GUARD_ERROR_CODES', dir: 'core', prefix: 'ERR_GUARD_', codes: GUARD_ERROR_CODES },
  { name: 'GUARD_RECORD_CODES', dir: 'core', prefix: 'ERR_GUARD_', codes: GUARD_RECORD_CODES },
  { name: 'MONITOR_ERROR_CODES', dir: 'monitor', prefix: 'ERR_MONITOR_', codes: MONITOR_ERROR_CODES },
  { name: 'SANDBOX_ERROR_CODES', dir: 'sandbox', prefix: 'ERR_SANDBOX_', codes: SANDBOX_ERROR_CODES },
  { name: 'VIEWER_ERROR_CODES', dir: 'viewer', prefix: 'ERR_VIEWER_', codes: VIEWER_ERROR_CODES },
  { name: 'ADAPTER_ERROR_CODES', dir: 'adapters', prefix: 'ERR_ADAPTER_', codes: ADAPTER_ERROR_CODES },
  // The CLI is a command, not a library: its list is read from its source.
  { name: 'CLI_ERROR_CODES', dir: 'cli', prefix: 'ERR_CLI_', codes: CLI_ERROR_CODES },
  // Evidence: bundles and the OCSF export.
  { name: 'BUNDLE_ERROR_CODES', dir: 'evidence', prefix: 'ERR_EVIDENCE_BUNDLE_', codes: BUNDLE_ERROR_CODES },
  { name: 'OCSF_ERROR_CODES', dir: 'evidence', prefix: 'ERR_EVIDENCE_OCSF_', codes: OCSF_ERROR_CODES },
  { name: 'ASSESS_ERROR_CODES', dir: 'assess', prefix: 'ERR_ASSESS_', codes: ASSESS_ERROR_CODES },
  { name: 'INCIDENT_ERROR_CODES', dir: 'incident', prefix: 'ERR_INCIDENT_', codes: INCIDENT_ERROR_CODES },
];

/** Codes that are not ours: Node's own, which the sandbox child imitates so tools see what they expect. */
const FOREIGN = new Set(['ERR_ACCESS_DENIED']);

/** The runtime source of a package: no tests, fixtures or test helpers, and not the list itself. */
function sourceOf(dir: string): Map<string, string> {
  const root = join(PACKAGES, dir, 'src');
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
    if (/\.test(?:-d)?\.tsx?$|\.fixture\.ts$|^test-helpers\.ts$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path.slice(PACKAGES.length), readFileSync(path, 'utf8'));
  }
  return files;
}

// Every package with source, so a new package's codes must join a list before this passes.
const DIRS = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(PACKAGES, d.name, 'src')))
  .map((d) => d.name);
const SOURCE = new Map(DIRS.map((dir) => [dir, sourceOf(dir)]));
const ERRORS_FILE = /(?:^|\/)errors\.ts$/;

describe('error codes', () => {
  it('are read from every package with source', () => {
    expect(DIRS).toEqual(expect.arrayContaining(['identity', 'attestation', 'policy', 'audit', 'core', 'cli']));
  });

  it('are unique across every package', () => {
    const all = LISTS.flatMap((l) => l.codes);
    const seen = new Map<string, number>();
    for (const code of all) seen.set(code, (seen.get(code) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    expect(all.length).toBeGreaterThan(100);
  });

  for (const { name, dir, prefix, codes } of LISTS) {
    describe(name, () => {
      it(`is frozen, non-empty, and every code is ${prefix}[A-Z0-9_]+`, () => {
        expect(Object.isFrozen(codes)).toBe(true);
        expect(codes.length).toBeGreaterThan(0);
        for (const code of codes) expect(code).toMatch(new RegExp(`^${prefix}[A-Z0-9]+(?:_[A-Z0-9]+)*$`));
      });

      it(`every code is produced by ${dir}'s source (outside its list)`, () => {
        const files = [...(SOURCE.get(dir) ?? new Map<string, string>())].filter(([path]) => !ERRORS_FILE.test(path));
        const unproduced = codes.filter((code) => {
          const token = new RegExp(`(?<![A-Z0-9_])${code}(?![A-Z0-9_])`);
          return !files.some(([, text]) => token.test(text));
        });
        expect(unproduced).toEqual([]);
      });
    });
  }

  it('every code written in any package source is in some list (no open strings)', () => {
    const listed = new Set(LISTS.flatMap((l) => l.codes));
    const stray: string[] = [];
    for (const [, files] of SOURCE) {
      for (const [path, text] of files) {
        for (const [token] of text.matchAll(/(?<![A-Za-z0-9_])ERR_[A-Z0-9_]+(?![A-Za-z0-9_])/g)) {
          // A prefix (`ERR_AUDIT_`, as in prose and `startsWith`) must be some list's family.
          const known = token.endsWith('_')
            ? LISTS.some((l) => l.prefix.startsWith(token) || token.startsWith(l.prefix))
            : listed.has(token) || FOREIGN.has(token);
          if (!known) stray.push(`${path}: ${token}`);
        }
      }
    }
    expect(stray).toEqual([]);
  });
});

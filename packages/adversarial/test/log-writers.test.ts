/**
 * Invariant: one log file has one writer, whatever name reaches it. While a writer holds a log, opening the same
 * file through any other name (a relative path, `..`, a symbolic link to the file or to its directory, a link whose
 * target did not exist yet, a numbered file of a log directory opened alone) is refused with
 * `ERR_AUDIT_LOG_LOCKED`, having read and written nothing; a name no path resolution can tie to the file (a second
 * hard link) makes the file refused through every name (`ERR_AUDIT_NOT_A_LOG`), and so does a numbered file that is
 * a symbolic link; what is not a regular file is refused, never waited on.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AuditEvent } from '@agentguard/audit';
import { openAuditDirectory, openFileAuditLog } from '@agentguard/audit/file';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT } from './audit-forge.js';

const root = mkdtempSync(join(tmpdir(), 'agentguard-log-writers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const event = (i: number): AuditEvent => ({
  type: 'call.completed',
  callId: `c${i}`,
  agent: AGENT.id,
  tool: 'search',
  data: { argsDigest: `sha256:${'ab'.repeat(32)}`, resultDigest: `sha256:${'cd'.repeat(32)}`, durationMs: 1 },
});

/** Every name of one log file that path resolution ties to it. */
function namesOfOneFile(): { file: string; names: Record<string, string> } {
  const base = join(root, `case-${n++}`);
  const real = join(base, 'real');
  mkdirSync(real, { recursive: true });
  const file = join(real, 'a.jsonl');
  writeFileSync(file, '');
  symlinkSync(file, join(base, 'to-file.jsonl'));
  symlinkSync(real, join(base, 'to-dir'));
  symlinkSync(join(base, 'to-file.jsonl'), join(base, 'to-link.jsonl'));
  return {
    file,
    names: {
      direct: file,
      relative: relative(process.cwd(), file),
      dotdot: join(real, '..', 'real', 'a.jsonl'),
      'link to the file': join(base, 'to-file.jsonl'),
      'link to its directory': join(base, 'to-dir', 'a.jsonl'),
      'link to a link': join(base, 'to-link.jsonl'),
    },
  };
}

describe('one log file, one writer', () => {
  it('while one name holds the log, every other name is refused and nothing is read or written', async () => {
    const { names } = namesOfOneFile();
    for (const [firstName, first] of Object.entries(names)) {
      const writer = await openFileAuditLog(first);
      await writer.append(event(writer.size), AGENT);
      const before = readFileSync(names.direct as string);
      for (const [otherName, other] of Object.entries(names)) {
        await expect(openFileAuditLog(other), `${firstName}, then ${otherName}`).rejects.toMatchObject({
          code: 'ERR_AUDIT_LOG_LOCKED',
        });
      }
      expect(readFileSync(names.direct as string)).toEqual(before);
      await writer.close();
    }
  });

  it('a link whose target does not exist yet is locked under the target it creates', async () => {
    const base = join(root, `case-${n++}`);
    mkdirSync(base);
    const target = join(base, 'later.jsonl');
    symlinkSync(target, join(base, 'dangling.jsonl'));
    const writer = await openFileAuditLog(join(base, 'dangling.jsonl'));
    await expect(openFileAuditLog(target)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    await writer.close();
  });

  it('a second hard link makes the file refused through every name, held or not', async () => {
    const { file, names } = namesOfOneFile();
    await (await openFileAuditLog(file)).close();
    linkSync(file, join(root, `hard-${n++}.jsonl`));
    for (const name of [...Object.values(names), join(root, `hard-${n - 1}.jsonl`)]) {
      await expect(openFileAuditLog(name)).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
    }
  });

  it("a log directory's numbered file is written under the directory's lock, by any name", async () => {
    const dir = join(root, `dir-${n++}`);
    const writer = await openAuditDirectory(dir);
    await writer.append(event(0), AGENT);
    symlinkSync(dir, join(root, `dir-link-${n}`));
    for (const name of [
      join(dir, 'audit-000001.jsonl'),
      join(root, `dir-link-${n}`, 'audit-000001.jsonl'),
      join(root, `dir-link-${n}`),
    ]) {
      const open = name.endsWith('.jsonl') ? openFileAuditLog(name) : openAuditDirectory(name);
      await expect(open).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_LOCKED' });
    }
    await writer.close();
  });

  it('a numbered file that is a symbolic link is refused; so is what is not a regular file', async () => {
    const dir = join(root, `dir-${n++}`);
    mkdirSync(dir);
    const elsewhere = join(root, `elsewhere-${n++}.jsonl`);
    writeFileSync(elsewhere, '');
    symlinkSync(elsewhere, join(dir, 'audit-000001.jsonl'));
    await expect(openAuditDirectory(dir)).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
    const fifo = join(root, `fifo-${n++}`);
    execFileSync('mkfifo', [fifo]);
    await expect(openFileAuditLog(fifo)).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
    await expect(openFileAuditLog('/dev/null')).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_A_LOG' });
  });
});

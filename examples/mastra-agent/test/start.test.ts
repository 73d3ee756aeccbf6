import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// @mastra/core declares Node >= 22.13: on Node 20 this example is type-checked but not run.
const nodeMajor = Number(process.versions.node.split('.')[0]);

// Runs the example as `pnpm start` does, offline, and checks what it reports.
describe.runIf(nodeMajor >= 22)('mastra-agent example (Node 22+, as @mastra/core requires)', () => {
  it('runs offline: weather allowed, deletion denied, small payment approved, large one refused; the log verifies', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'agentguard-mastra-agent-')), 'audit.jsonl');
    const env: Record<string, string | undefined> = { ...process.env, AGENTGUARD_DEMO_LOG: log };
    const run = spawnSync(process.execPath, ['--conditions', '@agentguard/source', '--import', 'tsx', 'src/main.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      env,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ALLOWED +get_weather \(call_weather\)/m);
    expect(run.stdout).toMatch(/^DENIED +delete_user \(call_delete\): ERR_GUARD_POLICY_DENIED/m);
    expect(run.stdout).toMatch(/^APPROVED +pay_invoice \(call_pay_small\)/m);
    expect(run.stdout).toMatch(
      /^REFUSED +pay_invoice \(call_pay_large\): ERR_GUARD_APPROVAL_REFUSED: approval refused: refused by the human/m,
    );
    // The refusal given in the framework's own approval step is in the audit, naming the approver who signed it.
    const refusals = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { type: string; callId: string; data: { approver?: string } })
      .filter((r) => r.type === 'approval.refused');
    expect(refusals.map((r) => r.callId)).toEqual(['call_pay_large']);
    expect(refusals[0]?.data.approver).toMatch(/^did:key:z/);
    expect(run.stdout).toMatch(/^audit log verified: \d+ records/m);
    expect(run.stdout).toContain(`audit log: ${log}`);
  });
});

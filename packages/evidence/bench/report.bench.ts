/**
 * The cost of a compliance report against its baseline measured in the same run: verifying the same log
 * (`verifyLog`, which every report does first). A report adds reading the records and computing the controls.
 */
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { loadavg } from 'node:os';
import { type AuditEvent, createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity, type Signer } from '@agentguard/identity';
import type { BenchResult } from '../../../.config/bench-kit.js';
import { measure } from '../../../.config/bench-kit.js';
import { createComplianceReport, formatReportJson, formatReportMarkdown, REPORT_REGIMES } from '../src/index.js';

const CALLS = 2500;
const SEED = new Uint8Array(32).fill(41);
const agent = createIdentity({ secretKey: SEED });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(42) });

/** The agent's key signing through node:crypto: the same signatures, faster to build a large log with. */
function fastSigner(): Signer {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(SEED)]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { ...agent, sign: async (m: Uint8Array) => new Uint8Array(nodeSign(null, m, key)) };
}

async function buildLog(): Promise<Uint8Array> {
  const sink = createMemorySink();
  let t = Date.parse('2025-01-01T00:00:00.000Z');
  const log = createAuditLog({
    sink,
    clock: () => (t += 3_600_000),
    checkpoint: { signer: logKey, origin: 'bench/report', everyRecords: 1000, everyMs: 0 },
  });
  const signer = fastSigner();
  const digest = `sha256:${'ab'.repeat(32)}`;
  for (let i = 0; i < CALLS; i++) {
    const base = { callId: `c-${i}`, agent: agent.id, tool: i % 3 === 0 ? 'crm' : 'search' };
    const request: AuditEvent = {
      ...base,
      type: 'call.requested',
      data: { argsDigest: digest, labels: i % 3 === 0 ? ['reads:pii'] : [], args: { q: '[REDACTED:email]' } },
    };
    await log.append(request, signer);
    await log.append(
      { ...base, type: 'call.completed', data: { decision: { effect: 'allow', ruleId: 'r' }, resultDigest: digest } },
      signer,
    );
  }
  await log.close();
  return new TextEncoder().encode(sink.text());
}

export async function run(): Promise<BenchResult[]> {
  const bytes = await buildLog();
  const trust = [agent.id, logKey.id];
  const load = loadavg()[0]?.toFixed(2);
  const baseline = `verifyLog, ${CALLS * 2} records (baseline)`;
  const verifyOps = await measure(() => verifyLog(bytes, { trust }), 3000, 2);
  const results: BenchResult[] = [{ name: baseline, opsPerSec: verifyOps, note: `load average ${load}` }];
  for (const regime of REPORT_REGIMES) {
    const ops = await measure(() => createComplianceReport(bytes, { regime, trust }), 3000, 2);
    results.push({ name: `report ${regime}`, opsPerSec: ops, baseline, ratio: ops / verifyOps });
  }
  const report = createComplianceReport(bytes, { regime: 'pci-dss-4', trust });
  const fmtOps = await measure(() => {
    formatReportJson(report);
    formatReportMarkdown(report);
  }, 1000);
  results.push({ name: 'format JSON + Markdown (pci-dss-4)', opsPerSec: fmtOps, baseline, ratio: fmtOps / verifyOps });
  return results;
}

/**
 * The AgentGuard quickstart: a scripted agent loop (no model, no network) that
 * makes three tool calls through guard(). One is allowed, one is denied by the
 * policy, one has invalid arguments. Every call is signed and audited; at the
 * end the audit log is verified against the agent's key. The key is kept in a
 * file beside the log (created on the first run), so every run signs as the
 * same did:key and one trust file anchors all of them.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyLog } from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createGuard } from '@agentguard/core';
import { loadOrCreateIdentity } from '@agentguard/identity/node';
import { createPolicyEngine } from '@agentguard/policy';
import { tools } from './tools.js';

const here = dirname(fileURLToPath(import.meta.url));
const logPath = resolve(process.env.AGENTGUARD_DEMO_LOG ?? resolve(here, '../.agentguard/audit.jsonl'));
await mkdir(dirname(logPath), { recursive: true });
rmSync(logPath, { force: true });

// The same key on every run: from AGENTGUARD_AGENT_JWK when set, else agent.jwk (created 0600 on first use).
const agent = await loadOrCreateIdentity({
  path: resolve(dirname(logPath), 'agent.jwk'),
  name: 'quickstart-agent',
  env: 'AGENTGUARD_AGENT_JWK',
});
// Public keys only: what a verifier trusts (docs/formats/trust-file.md).
const trustPath = resolve(dirname(logPath), 'trust.json');
const trustFile = { version: 1, keys: [{ id: agent.id, role: 'agent', name: agent.name }] };
await writeFile(trustPath, `${JSON.stringify(trustFile, null, 2)}\n`);
const policy = createPolicyEngine(JSON.parse(readFileSync(resolve(here, 'policy.json'), 'utf8')));
// The agent key also signs the log's checkpoints (C2SP signed notes), so one key anchors the whole log.
const audit = await openFileAuditLog(logPath, { checkpoint: { signer: agent, everyRecords: 100 } });
const ag = createGuard({ identity: agent, policy, audit });

const getWeather = ag.guard({ name: 'get_weather', ...tools.get_weather });
const transferFunds = ag.guard({ name: 'transfer_funds', ...tools.transfer_funds });
const sendEmail = ag.guard({ name: 'send_email', ...tools.send_email });
const byName = { get_weather: getWeather, transfer_funds: transferFunds, send_email: sendEmail };

// What a model would ask for, turn by turn.
const script: { tool: keyof typeof byName; args: unknown }[] = [
  { tool: 'get_weather', args: { city: 'Lisbon' } },
  { tool: 'transfer_funds', args: { from: 'ops', to: 'attacker', amount: 5000 } },
  { tool: 'send_email', args: { to: 'not-an-address', subject: 'hi', body: 'hello' } },
];

console.log(`agent: ${agent.name} (${agent.id})\n`);
for (const step of script) {
  const outcome = await byName[step.tool].safeRun(step.args);
  const verdict = outcome.ok ? 'ALLOWED ' : outcome.denial.outcome === 'invalid' ? 'INVALID ' : 'DENIED  ';
  const detail = outcome.ok ? JSON.stringify(outcome.value) : `${outcome.denial.code}: ${outcome.denial.reason}`;
  console.log(`${verdict} ${step.tool}(${JSON.stringify(step.args)})\n         ${detail}`);
}
await ag.close();

const report = verifyLog(await readFile(logPath, 'utf8'), { trust: [agent.id] });
console.log(
  report.ok
    ? `\naudit log verified: ${report.records} records, hash chain and every signature intact`
    : `\naudit log FAILED verification at line ${report.line}: ${report.reason}`,
);
console.log(`audit log: ${logPath}`);
console.log(`trust: ${agent.id}`);
console.log(`trust file: ${trustPath}`);
console.log(`\nCheck it yourself: pnpm agentguard verify ${logPath} --trust-file ${trustPath}`);
process.exitCode = report.ok ? 0 : 1;

/**
 * Runtime monitoring end to end, offline, no model: a scripted inbox assistant runs benign requests
 * through guard(); a behavioural profile is learned from that run's audit log and signed by an
 * operator key; then a prompt-injected run (a message in the inbox tells the model to forward
 * everything to an outside address) runs through a guard with the monitor hook, which scores each
 * call before the policy decides. The detector flags the exfiltrating send_email; the guard writes a
 * signed monitor.alert naming the evidence (the address appeared only inside the free text of a tool
 * result) and the policy's deny-flagged rule refuses the call (the policy choice of this demo).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLog } from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import {
  createDetector,
  type Detector,
  learnProfile,
  sessionsFromAudit,
  signProfile,
  verifySignedProfile,
} from '@agentguard/monitor';
import { createPolicyEngine } from '@agentguard/policy';
import { type Script, benignRequests, hijackedRequest } from './script.js';
import { tools } from './tools.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.env.AGENTGUARD_DEMO_DIR ?? resolve(here, '../.agentguard'));
await mkdir(dir, { recursive: true });
const agent = createIdentity({ name: 'inbox-assistant' });
const operator = createIdentity({ name: 'operator' });
// The unmonitored learning run uses the plain policy: a rule with a `monitor` condition would deny every call
// of a guard without a monitor (no verdict is undecided, and an undecided deny applies: fail closed).
const basePolicy = JSON.parse(readFileSync(resolve(here, 'policy.json'), 'utf8')) as { rules: unknown[] };
const policy = createPolicyEngine(basePolicy);

/** What the monitored runs add to the policy: a call the monitor flags is denied (monitor mode would record only). */
const denyFlagged = { id: 'deny-flagged', effect: 'deny', tools: ['*'], monitor: { flagged: true } } as const;
const monitoredPolicy = createPolicyEngine({ ...basePolicy, rules: [denyFlagged, ...basePolicy.rules] });

interface AlertRecord {
  readonly callId: string;
  readonly tool: string;
  readonly data: { score: number; alerts: { feature: string; expected: string; seen: string }[] };
}

/**
 * Runs requests through guard() into a fresh audit log. With a detector, the guard scores each call before
 * the policy decides (`createGuard({ monitor })`); a flagged call gets a signed `monitor.alert` record and is
 * denied by the `deny-flagged` rule.
 */
async function run(name: string, requests: readonly Script[], injected: boolean, detector?: Detector, hash?: string) {
  const logPath = resolve(dir, `${name}.jsonl`);
  rmSync(logPath, { force: true });
  const audit = await openFileAuditLog(logPath, { checkpoint: { signer: agent, everyRecords: 100 } });
  const ag = createGuard({
    identity: agent,
    policy: detector === undefined ? policy : monitoredPolicy,
    audit,
    ...(detector === undefined ? {} : { monitor: { detector, ...(hash === undefined ? {} : { profileHash: hash }) } }),
  });
  const spec = tools(injected);
  const guarded = {
    read_inbox: ag.guard({ name: 'read_inbox', ...spec.read_inbox }),
    search_contacts: ag.guard({ name: 'search_contacts', ...spec.search_contacts }),
    send_email: ag.guard({ name: 'send_email', ...spec.send_email }),
  };
  let calls = 0;
  const blocked = new Map<string, string>();
  for (const request of requests) {
    const session = `${name}-${request.id}`;
    ag.beginSession(session, { prompt: request.prompt });
    let n = 0;
    await request.steps(async (tool, args) => {
      calls++;
      const callId = `${session}.${n++}`;
      const outcome = await guarded[tool].safeRun(args, { callId, session });
      if (outcome.ok) return outcome.value;
      blocked.set(
        callId,
        `ALERT    ${tool}(${JSON.stringify(args).slice(0, 80)}…)  [${request.prompt}]\n` +
          `         ${outcome.denial.code} by rule ${outcome.denial.ruleId}: the call did not run`,
      );
      return null;
    });
    ag.endSession(session);
  }
  await ag.close();
  // The alerts as the audit log holds them: signed, with their evidence (redacted like every record).
  const alerts = readLog(await readFile(logPath, 'utf8'))
    .records.filter((r) => r.type === 'monitor.alert')
    .map((r) => r as unknown as AlertRecord);
  for (const a of alerts) {
    console.log(blocked.get(a.callId) ?? `ALERT    ${a.tool} (${a.callId})`);
    console.log(`         score ${a.data.score}, recorded in the audit log as monitor.alert:`);
    for (const e of a.data.alerts) console.log(`         ${e.feature}: expected ${e.expected}; seen ${e.seen}`);
  }
  return { logPath, calls, flagged: alerts.length, blocked: blocked.size };
}

// 1. A benign run, unmonitored: what the agent normally does.
const learnRun = await run('benign', benignRequests, false);
console.log(`benign run: ${learnRun.calls} calls, audit log ${learnRun.logPath}`);

// 2. Learn a profile from the audit log (the log's chain is checked by readLog), sign it, write it.
const records = readLog(await readFile(learnRun.logPath, 'utf8')).records;
const sessions = sessionsFromAudit(records, { sessionOf: (r) => r.callId.split('.')[0] ?? r.callId });
const signed = await signProfile(learnProfile(sessions), operator);
const profilePath = resolve(dir, 'profile.json');
writeFileSync(profilePath, `${JSON.stringify(signed, null, 2)}\n`);
console.log(`profile: ${signed.hash} (${sessions.length} sessions) signed by ${operator.id}`);

// 3. Load it as a guard would: only a profile that verifies against the operator key is used.
const check = verifySignedProfile(JSON.parse(await readFile(profilePath, 'utf8')), [operator.id]);
if (!check.ok) throw new Error(`profile refused: ${check.code} ${check.reason}`);
const detector = createDetector(check.profile);
const profileHash = check.hash;

// 4. The same requests again, monitored: nothing is flagged.
const again = await run('benign-monitored', benignRequests, false, detector, profileHash);
console.log(`benign run, monitored: ${again.calls} calls, ${again.flagged} flagged`);

// 5. The hijacked run: the injected inbox message makes the agent mail the inbox out.
const hijacked = await run('hijacked', [hijackedRequest], true, detector, profileHash);
console.log(
  `hijacked run, monitored: ${hijacked.calls} calls, ${hijacked.flagged} flagged, ${hijacked.blocked} denied`,
);
console.log(`audit logs: ${dir}`);
process.exitCode = again.flagged === 0 && again.blocked === 0 && hijacked.flagged > 0 && hijacked.blocked > 0 ? 0 : 1;

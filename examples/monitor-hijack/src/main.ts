/**
 * Runtime monitoring end to end, offline, no model: a scripted inbox assistant runs benign requests
 * through guard(); a behavioural profile is learned from that run's audit log and signed by an
 * operator key; then a prompt-injected run (a message in the inbox tells the model to forward
 * everything to an outside address) is scored call by call before each call runs. The detector
 * flags the exfiltrating send_email and names its evidence: the address appeared only inside the
 * free text of a tool result. A flagged call is blocked here (the policy choice of this demo).
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
const policy = createPolicyEngine(JSON.parse(readFileSync(resolve(here, 'policy.json'), 'utf8')));

/** Runs requests through guard() into a fresh audit log; with a detector, each call is scored first. */
async function run(name: string, requests: readonly Script[], injected: boolean, detector?: Detector) {
  const logPath = resolve(dir, `${name}.jsonl`);
  rmSync(logPath, { force: true });
  const audit = await openFileAuditLog(logPath, { checkpoint: { signer: agent, everyRecords: 100 } });
  const ag = createGuard({ identity: agent, policy, audit });
  const spec = tools(injected);
  const guarded = {
    read_inbox: ag.guard({ name: 'read_inbox', ...spec.read_inbox }),
    search_contacts: ag.guard({ name: 'search_contacts', ...spec.search_contacts }),
    send_email: ag.guard({ name: 'send_email', ...spec.send_email }),
  };
  let calls = 0;
  let flagged = 0;
  for (const request of requests) {
    const session = `${name}-${request.id}`;
    detector?.begin(session, { agent: agent.id, prompt: request.prompt });
    let n = 0;
    await request.steps(async (tool, args) => {
      calls++;
      const call = {
        agent: agent.id,
        session,
        tool,
        args,
        sideEffect: (spec[tool].labels as readonly string[]).includes('egress'),
      };
      const verdict = detector?.score(call);
      if (verdict?.flagged === true) {
        flagged++;
        console.log(
          `ALERT    ${tool}(${JSON.stringify(args).slice(0, 80)}…)  score ${verdict.score}  [${request.prompt}]`,
        );
        for (const a of verdict.alerts) console.log(`         ${a.feature}: expected ${a.expected}; seen ${a.seen}`);
        console.log('         blocked: the call did not run');
        return null;
      }
      const outcome = await guarded[tool].safeRun(args, { callId: `${session}.${n++}`, session });
      const result = outcome.ok ? outcome.value : null;
      detector?.observe(call, result);
      return result;
    });
  }
  await ag.close();
  return { logPath, calls, flagged };
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

// 4. The same requests again, monitored: nothing is flagged.
const again = await run('benign-monitored', benignRequests, false, detector);
console.log(`benign run, monitored: ${again.calls} calls, ${again.flagged} flagged`);

// 5. The hijacked run: the injected inbox message makes the agent mail the inbox out.
const hijacked = await run('hijacked', [hijackedRequest], true, detector);
console.log(`hijacked run, monitored: ${hijacked.calls} calls, ${hijacked.flagged} flagged`);
console.log(`audit logs: ${dir}`);
process.exitCode = again.flagged === 0 && hijacked.flagged > 0 ? 0 : 1;

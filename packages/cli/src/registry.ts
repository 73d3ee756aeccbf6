import type { Command } from './command.js';
import { assessCommand } from './commands/assess.js';
import { attestCommand } from './commands/attest.js';
import { auditCheckpointCommand } from './commands/audit-checkpoint.js';
import { auditConsistencyCommand } from './commands/audit-consistency.js';
import { auditProofCommand } from './commands/audit-proof.js';
import { auditQueryCommand } from './commands/audit-query.js';
import { auditTailCommand } from './commands/audit-tail.js';
import { credentialInspectCommand } from './commands/credential-inspect.js';
import { credentialIssueCommand } from './commands/credential-issue.js';
import { credentialVerifyCommand } from './commands/credential-verify.js';
import { incidentExportCommand } from './commands/incident-export.js';
import { incidentVerifyCommand } from './commands/incident-verify.js';
import { eraseCommand } from './commands/erase.js';
import { incidentQuarantineCommand } from './commands/incident-quarantine.js';
import { incidentResumeCommand } from './commands/incident-resume.js';
import { incidentStatusCommand } from './commands/incident-status.js';
import { incidentSuspendCommand } from './commands/incident-suspend.js';
import { keygenCommand } from './commands/keygen.js';
import { monitorCommand } from './commands/monitor.js';
import { policyCheckCommand } from './commands/policy-check.js';
import { policyExplainCommand } from './commands/policy-explain.js';
import { policyReplayCommand } from './commands/policy-replay.js';
import { policySuggestCommand } from './commands/policy-suggest.js';
import { policyTestCommand } from './commands/policy-test.js';
import { profileEvaluateCommand } from './commands/profile-evaluate.js';
import { profileLearnCommand } from './commands/profile-learn.js';
import { profileShowCommand } from './commands/profile-show.js';
import { reportCommand } from './commands/report.js';
import { revokeCommand } from './commands/revoke.js';
import { signerServeCommand } from './commands/signer-serve.js';
import { verifyCommand } from './commands/verify.js';
import { viewCommand } from './commands/view.js';

// Every command of the CLI, in the order `--help` lists them. Add one import and one entry per command.
export const commands: readonly Command[] = [
  verifyCommand,
  viewCommand,
  auditCheckpointCommand,
  auditProofCommand,
  auditConsistencyCommand,
  auditTailCommand,
  auditQueryCommand,
  reportCommand,
  // Evidence bundles.
  incidentExportCommand,
  incidentVerifyCommand,
  eraseCommand,
  policyCheckCommand,
  policyExplainCommand,
  policyTestCommand,
  policyReplayCommand,
  policySuggestCommand,
  profileLearnCommand,
  profileShowCommand,
  profileEvaluateCommand,
  monitorCommand,
  attestCommand,
  assessCommand,
  keygenCommand,
  credentialIssueCommand,
  credentialInspectCommand,
  credentialVerifyCommand,
  revokeCommand,
  signerServeCommand,
  incidentSuspendCommand,
  incidentQuarantineCommand,
  incidentResumeCommand,
  incidentStatusCommand,
];

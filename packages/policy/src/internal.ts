/**
 * `@agentguard/policy/internal`: the policy engine's own matchers, for the other AgentGuard packages that must
 * match exactly as the engine does (the CLI's signer checks which rules can name its key; the sandbox's egress
 * checks refuse the same numeric-looking host names; the sandbox marks its runners and core reads the mark), so a
 * grammar or a check is never written twice. Not public API:
 * anything here may change or go in any release. Applications use policies, not these.
 *
 * @packageDocumentation
 */
export { compileGlob, type GlobMatcher } from './match/glob.js';
export { endsInNumber } from './match/ip.js';
export { markIsolation, isolationOf, runnerGrantsOf } from './isolation/brand.js';
export {
  grantsExceeded,
  isEgressGrant,
  isGrantPath,
  type IsolationGrants,
  type RunnerGrants,
} from './isolation/grants.js';

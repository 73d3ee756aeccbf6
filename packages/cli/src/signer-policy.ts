import { CallStatementSchema, digestArgs, PAYLOAD_TYPE } from '@agentguard/attestation';
import { fromUtf8, parseJson, utf8 } from '@agentguard/identity';
import type { PolicyEngine } from '@agentguard/policy';

/** What the signer process is asked to sign, as `serveSigner` hands it to `authorize`. */
export interface SignRequestView {
  readonly message: Uint8Array;
  readonly context?: unknown;
}

const AUDIT_RECORD_PREFIX = 'agentguard-audit-record-v1\n';

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Splits DSSE's PAE ("DSSEv1" SP LEN(type) SP type SP LEN(body) SP body) back into type and body. */
function splitPae(message: Uint8Array): { type: string; body: Uint8Array } | undefined {
  let text: string;
  try {
    text = fromUtf8(message);
  } catch {
    return undefined;
  }
  const m = /^DSSEv1 (0|[1-9][0-9]{0,5}) /.exec(text);
  if (m === null) return undefined;
  const typeLength = Number(m[1]);
  const afterHeader = utf8(m[0]).length;
  const type = fromUtf8(message.slice(afterHeader, afterHeader + typeLength));
  const rest = message.slice(afterHeader + typeLength);
  const n = /^ (0|[1-9][0-9]{0,6}) /.exec(fromUtf8(rest.slice(0, 10)));
  if (n === null) return undefined;
  const body = rest.slice(utf8(n[0]).length);
  return body.length === Number(n[1]) ? { type, body } : undefined;
}

/**
 * The signer process's policy: it signs a call envelope only when the policy it
 * holds allows that call, deciding on the signed bytes themselves, with the
 * arguments taken from the request only after their digest matches the one in
 * the statement. Audit-record signatures (hashes of records) are signed so the
 * agent's guard can keep its log; anything else is refused.
 */
export function createSignerAuthorizer(engine: PolicyEngine): (request: SignRequestView) => Promise<boolean> {
  const auditPrefix = utf8(AUDIT_RECORD_PREFIX);
  return async ({ message, context }) => {
    if (startsWith(message, auditPrefix)) return /^[0-9a-f]{64}$/.test(fromUtf8(message.slice(auditPrefix.length)));
    const pae = splitPae(message);
    if (pae === undefined || pae.type !== PAYLOAD_TYPE) return false;
    const parsed = CallStatementSchema.safeParse(parseJson(fromUtf8(pae.body)));
    if (!parsed.success) return false;
    const claims = parsed.data.predicate;
    const args = (context as { args?: unknown } | null | undefined)?.args;
    if (args === undefined || digestArgs(args) !== claims.argsDigest) return false;
    const decision = await engine.decide({
      agent: { id: claims.agent, name: claims.agent },
      tool: { name: claims.tool },
      args,
      callId: claims.callId,
    });
    return decision.effect === 'allow';
  };
}

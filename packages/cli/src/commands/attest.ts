import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { digestFiles } from '@agentguard/monitor/node';
import { attest, compareAttestation, type ToolDefinition, toolDigest, verifyAttestation } from '@agentguard/monitor';
import { parsePolicy, policyHash } from '@agentguard/policy';
import { isToolName } from '@agentguard/statement';
import { parseArgs } from '../args.js';
import { type Command, EXIT_FAIL, EXIT_OK, InputError, UsageError } from '../command.js';
import { printable } from '../output.js';
import { parseTrust } from './audit-common.js';
import { loadKey } from './credential-common.js';
import { MonitorCommandError, table } from './monitor-common.js';
import { readJsonFile } from './policy-common.js';

const usage = `Usage: agentguard attest [--tools <tools.json>] [--policy <policy.json>] [--file <path>]...
                        [--key <key>] [--out <attestation.json>] [--pin <attestation.json> --trust <did:key>...]

Attests what is running: the digest of each tool definition (name, description,
schema; an MCP tool's title, outputSchema and annotations too), the policy's hash, and the digest of each --file (lockfile, entry files).
With --key the attestation is signed (and written to --out); with --pin it is
compared with a pinned, signed attestation, and every changed, added or removed
tool, policy or file is printed (an MCP server's changed tool description is one).

--tools takes a JSON array of { name, description?, schema? }, or an MCP
tools/list result { "tools": [{ name, title?, description, inputSchema,
outputSchema?, annotations? }] } (other fields, such as _meta, are not attested).

Exit codes: 0 attested, matching the pin; 1 a change against the pin, or the pin does not verify; 2 usage.
`;

function toolsOf(json: unknown): ToolDefinition[] {
  const list = Array.isArray(json) ? json : (json as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(list)) throw new InputError('--tools expects a JSON array of tools or { "tools": [...] }');
  return list.map((t, i) => {
    const o = t as Record<string, unknown> | null;
    if (typeof o?.name !== 'string' || o.name === '') throw new InputError(`--tools: tool ${i} has no name`);
    // The one tool-name grammar: a name a guard could not run (`__proto__` among them) is no tool to attest.
    const shown = printable(JSON.stringify(o.name.slice(0, 80)));
    if (!isToolName(o.name)) throw new InputError(`--tools: tool ${i} is named ${shown}, not a tool name`);
    for (const field of ['description', 'title'] as const) {
      if (o[field] !== undefined && typeof o[field] !== 'string') {
        throw new InputError(`--tools: tool ${i} has a ${field} that is not a string`);
      }
    }
    // The MCP fields a host acts on, digested as the MCP adapter's pins digest them (pinOf(...).digest), so a
    // pin made here fits a guard's and the adapter's.
    for (const field of ['outputSchema', 'annotations'] as const) {
      const value = o[field];
      if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
        throw new InputError(`--tools: tool ${i} has ${field} that is not an object`);
      }
    }
    // One input schema: a definition holding two could be attested by one while a host reads the other.
    if (o.schema !== undefined && o.inputSchema !== undefined) {
      throw new InputError(`--tools: tool ${i} has both schema and inputSchema`);
    }
    const schema = o.schema ?? o.inputSchema;
    return {
      name: o.name,
      ...(o.description === undefined ? {} : { description: o.description as string }),
      ...(schema === undefined ? {} : { schema }),
      ...(o.title === undefined ? {} : { title: o.title as string }),
      ...(o.outputSchema === undefined ? {} : { outputSchema: o.outputSchema }),
      ...(o.annotations === undefined ? {} : { annotations: o.annotations }),
    };
  });
}

async function readInput(path: string, io: Parameters<Command['run']>[1], what: string): Promise<unknown> {
  try {
    return (await readJsonFile(path, io, what)).json;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError((error as Error).message);
  }
}

/** `agentguard attest [...]` */
export const attestCommand: Command = {
  words: ['attest'],
  summary: 'Attest tool definitions, policy and code digests; compare with a pinned attestation',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      tools: { type: 'string' },
      policy: { type: 'string' },
      file: { type: 'string', multiple: true },
      key: { type: 'string' },
      'passphrase-env': { type: 'string' },
      out: { type: 'string' },
      pin: { type: 'string' },
      trust: { type: 'string', multiple: true },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]?.slice(0, 80)}"`);
    if (values.key === undefined && values.pin === undefined)
      throw new UsageError('give --key (to sign) or --pin (to check)');
    if (values.out !== undefined && values.key === undefined) throw new UsageError('--out needs --key');
    const tools = values.tools === undefined ? [] : toolsOf(await readInput(values.tools, io, 'tools'));
    let policy: string | undefined;
    if (values.policy !== undefined) {
      try {
        policy = policyHash(parsePolicy(await readInput(values.policy, io, 'policy')));
      } catch (error) {
        if (error instanceof InputError) throw error;
        throw new InputError(`--policy: ${(error as Error).message}`);
      }
    }
    const files = await digestFiles((values.file ?? []).map((f) => resolve(io.cwd, f)));
    const digests: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const t of tools) {
      if (Object.hasOwn(digests, t.name)) throw new InputError(`--tools: ${t.name} appears twice`);
      digests[t.name] = toolDigest(t);
    }
    const current = { tools: digests, policy: policy ?? null, files };
    io.stdout(
      table([
        ['kind', 'subject', 'digest'],
        ...Object.entries(current.tools).map(([k, v]) => ['tool', k, v]),
        ['policy', 'policy', current.policy ?? 'none'],
        ...Object.entries(current.files).map(([k, v]) => ['file', k, v]),
      ]),
    );
    if (values.key !== undefined) {
      const key = await loadKey(values.key, io, values['passphrase-env']);
      const signed = await attest({ tools, ...(policy === undefined ? {} : { policyHash: policy }), files }, key);
      if (values.out !== undefined) {
        const out = resolve(io.cwd, values.out);
        await writeFile(out, `${JSON.stringify(signed, null, 2)}\n`);
        io.stdout(`wrote ${printable(out)}, signed by ${signed.signer}\n`);
      }
    }
    if (values.pin === undefined) return EXIT_OK;
    const trust = parseTrust(values.trust);
    if (trust === undefined) throw new UsageError('--pin needs --trust <did:key> (who signed the pin)');
    let pinned: ReturnType<typeof verifyAttestation>;
    try {
      pinned = verifyAttestation(await readInput(values.pin, io, 'pinned attestation'), trust);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new MonitorCommandError(`${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}`);
    }
    const changes = compareAttestation(pinned, current);
    if (changes.length === 0) {
      io.stdout(`matches the pin of ${printable(pinned.at)}\n`);
      return EXIT_OK;
    }
    io.stdout(`${changes.length} change(s) against the pin of ${printable(pinned.at)}:\n`);
    for (const c of changes) {
      io.stdout(
        `  ${c.feature} ${printable(c.subject)}: expected ${printable(c.expected)}; seen ${printable(c.seen)}\n`,
      );
    }
    return EXIT_FAIL;
  },
};

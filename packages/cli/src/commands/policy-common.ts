import { resolve } from 'node:path';
import { parseJson } from '@agentguard/statement';
import { createPolicyEngine, type PolicyEngine, type PolicyEngineOptions } from '@agentguard/policy';
import { type CommandIO, InputError, UsageError } from '../command.js';
import { readBoundedText } from '../read-input.js';

/** A policy command's failure that is not a usage error: printed, exit 1. */
export class PolicyCommandError extends Error {
  override readonly name = 'PolicyCommandError';
}

/** Largest policy or cases file read, bytes (a policy may hold many rules). */
export const MAX_JSON_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Reads a JSON file named on the command line with the strict parser (duplicate member names,
 * `__proto__`, lone surrogates and excessive nesting are refused, so every reader agrees on one value);
 * a missing file is a usage error, text that is not strict JSON a {@link PolicyCommandError}.
 */
export async function readJsonFile(
  path: string,
  io: CommandIO,
  what: string,
): Promise<{ path: string; json: unknown }> {
  const absolute = resolve(io.cwd, path);
  let text: string;
  try {
    text = await readBoundedText(absolute, MAX_JSON_FILE_BYTES, what);
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const code = (cause as { code?: unknown }).code;
    throw new InputError(`cannot read ${what} ${absolute}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  try {
    return { path: absolute, json: parseJson(text, { maxBytes: MAX_JSON_FILE_BYTES }) as unknown };
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw new PolicyCommandError(
      `${absolute}: not JSON: ${typeof code === 'string' ? `${code}: ` : ''}${(cause as Error).message}`,
    );
  }
}

/**
 * Loads a policy file into an armed engine; invalid policies and self-test failures are errors with their code.
 * The engine gives back concurrency slots as soon as it decides (see {@link releasingEngine}).
 */
export async function loadEngine(
  file: string,
  io: CommandIO,
  options: PolicyEngineOptions = {},
): Promise<{ path: string; engine: PolicyEngine }> {
  const { path, json } = await readJsonFile(file, io, 'policy');
  return { path, engine: releasingEngine(createPolicyEngine(json, options)) };
}

/** Splits a comma-separated option into a list (empty items dropped). */
export function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses `--args`-style JSON given on the command line (strict, like every file). */
export function parseJsonOption(value: string | undefined, name: string): unknown {
  if (value === undefined) return {};
  try {
    return parseJson(value) as unknown;
  } catch (cause) {
    throw new UsageError(`--${name} expects JSON: ${(cause as Error).message}`);
  }
}

/** Parses an ISO 8601 `--now` into epoch ms. */
export function parseNow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--now expects an ISO 8601 time, got "${value}"`);
  return ms;
}

/**
 * The engine as a command that decides without running anything must use it: every decision's
 * concurrency slots are given back at once (the call it stands for is over), so a cap never fills
 * up across cases or replayed calls.
 */
export function releasingEngine(engine: PolicyEngine): PolicyEngine {
  return Object.freeze({
    policy: engine.policy,
    hash: engine.hash,
    mode: engine.mode,
    decide: async (request: Parameters<PolicyEngine['decide']>[0]) => {
      const decision = await engine.decide(request);
      await engine.release(decision);
      return decision;
    },
    hold: async (request: Parameters<PolicyEngine['hold']>[0], decision: Parameters<PolicyEngine['hold']>[1]) => {
      const held = await engine.hold(request, decision);
      await engine.release(held);
      return held;
    },
    release: (decision: Parameters<PolicyEngine['release']>[0]) => engine.release(decision),
  });
}

/**
 * Loads the known-answer vectors shared by the project (`<repo root>/../shared/vectors`, or
 * `AGENTGUARD_VECTORS` when set; see its README for where each set comes from). Test-only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const fromEnv = process.env.AGENTGUARD_VECTORS;
const root =
  fromEnv === undefined || fromEnv === ''
    ? new URL('../../../../shared/vectors/', import.meta.url)
    : pathToFileURL(`${fromEnv.replace(/\/+$/, '')}/`);

/** The text of `<vectors>/<path>`. */
export function vectorText(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

/** The bytes of `<vectors>/<path>`. */
export function vectorBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, root)));
}

/** File names in `<vectors>/<dir>`. */
export function vectorFiles(dir: string): string[] {
  return readdirSync(fileURLToPath(new URL(dir, root))).sort();
}

export interface WycheproofCase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly publicKey: string;
  readonly msg: string;
  readonly sig: string;
  readonly valid: boolean;
}

/** Every case of Wycheproof's ed25519_test.json, flattened, with its group's public key. */
export function wycheproofEd25519(): WycheproofCase[] {
  const file = JSON.parse(vectorText('wycheproof/ed25519_test.json')) as {
    testGroups: Array<{
      publicKey: { pk: string };
      tests: Array<{ tcId: number; comment: string; flags: string[]; msg: string; sig: string; result: string }>;
    }>;
  };
  return file.testGroups.flatMap((group) =>
    group.tests.map((t) => ({
      tcId: t.tcId,
      comment: t.comment,
      flags: t.flags,
      publicKey: group.publicKey.pk,
      msg: t.msg,
      sig: t.sig,
      valid: t.result === 'valid',
    })),
  );
}

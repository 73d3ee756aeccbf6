/**
 * Loads the known-answer vectors kept in this folder (`vectors/`; its README names each set's source, upstream commit
 * and licence). Test-only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('./vectors/', import.meta.url);

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

/**
 * Node-only entry point `@agentguard/audit/node`: a subject key store in a directory.
 */
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { concatBytes, randomBytes, toHex } from '@agentguard/statement';
import { AuditError } from './errors.js';
import { checkReference, type SubjectKey, type SubjectKeyStore, subjectReference } from './seal/keys.js';

/** Options of {@link createFileKeyStore}. */
export interface FileKeyStoreOptions {
  /** The directory of the store (created, mode 0700). Keep it off the log's disk and out of the log's backups. */
  readonly dir: string;
  /**
   * Whether a store that does not exist yet (no `secret`) is created. `false` for readers and erasers of an
   * existing store (`agentguard erase`, `audit query --unseal`): a wrong directory then fails with
   * `ERR_AUDIT_KEY_STORE_FAILED` instead of minting a new secret whose pseudonyms match nothing.
   * @default true
   */
  readonly create?: boolean;
}

/**
 * Creates a key store in a directory: `secret` (the pseudonym secret, 32 bytes) and `keys/<reference>.key` (the
 * 8-byte key id, then the 32-byte key), every file mode 0600. A key is created by linking a finished file into
 * place, so two processes never see half a key or make two. Keys are read on every use (not cached), so a key destroyed by another
 * process (`agentguard erase`) is gone for this one too.
 *
 * `destroy` first renames the key file away (no reader finds it again, even half overwritten), then overwrites it
 * with random bytes and then zeros, fsyncs it, unlinks it and fsyncs the directory; files an interrupted erasure
 * left behind are shredded by the next one. A key file that is not 40 bytes, or is all zeros, is refused as corrupt; a symbolic link, FIFO or anything else but a regular file in place of a key file or the secret is refused, never followed nor waited on, and an erasure never writes through a link. On copy-on-write or journalling file systems, SSDs (wear levelling), snapshots and backups the old
 * blocks may survive the overwrite: keep the store on storage you can erase, and outside every backup of the log.
 *
 * @param options - see {@link FileKeyStoreOptions}.
 * @returns a {@link SubjectKeyStore}.
 * @throws TypeError on a bad `dir`.
 * @example
 * ```ts
 * import { createFileKeyStore } from '@agentguard/audit/node';
 * const keys = createFileKeyStore({ dir: '/var/lib/agentguard/subject-keys' });
 * ```
 */
export function createFileKeyStore(options: FileKeyStoreOptions): SubjectKeyStore {
  const dir = options?.dir;
  if (typeof dir !== 'string' || dir === '') throw new TypeError('"dir" expected a directory path');
  const create = options.create ?? true;
  if (typeof create !== 'boolean') throw new TypeError('"create" expected a boolean');
  const keysDir = join(dir, 'keys');
  let reference: Promise<(subject: string) => string> | undefined;

  const failed = (what: string, cause: unknown) =>
    cause instanceof AuditError ? cause : new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${what}`, { cause });

  async function secret(): Promise<(subject: string) => string> {
    const path = join(dir as string, 'secret');
    let bytes: Uint8Array;
    if (create) {
      await mkdir(dir as string, { recursive: true, mode: 0o700 });
      bytes = await createOnce(path, randomBytes(32));
    } else {
      const found = await readStoreFile(path);
      if (found === undefined) {
        throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${dir} holds no secret: not a key store`);
      }
      bytes = found;
    }
    if (bytes.length !== 32) throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', 'key store: secret is not 32 bytes');
    return subjectReference(bytes);
  }

  const keyFile = (ref: string) => join(keysDir, `${ref}.key`);

  return Object.freeze({
    async reference(subject: string): Promise<string> {
      reference ??= secret();
      try {
        return (await reference)(subject);
      } catch (cause) {
        reference = undefined;
        if (cause instanceof TypeError || cause instanceof RangeError) throw cause;
        throw failed('cannot read or create the secret', cause);
      }
    },
    async keyFor(ref: string): Promise<SubjectKey> {
      checkReference(ref);
      try {
        const found = await readKey(keyFile(ref));
        if (found !== undefined) return found;
        await mkdir(keysDir, { recursive: true, mode: 0o700 });
        // Whoever links first wins; the other reads the winner's key, so both agree.
        const made = toKey(await createOnce(keyFile(ref), concatBytes(randomBytes(8), randomBytes(32))));
        if (made === undefined) throw new Error('key file is not 40 bytes');
        return made;
      } catch (cause) {
        throw failed('cannot read or create a key', cause);
      }
    },
    async get(ref: string, kid: string): Promise<Uint8Array | undefined> {
      checkReference(ref, kid);
      try {
        const found = await readKey(keyFile(ref));
        return found?.kid === kid ? found.key : undefined;
      } catch (cause) {
        throw failed('cannot read a key', cause);
      }
    },
    async destroy(ref: string): Promise<readonly string[]> {
      checkReference(ref);
      const path = keyFile(ref);
      try {
        let kid: string | undefined;
        try {
          kid = (await readKey(path))?.kid;
        } catch {
          kid = undefined; // a damaged key file is destroyed all the same
        }
        // The name goes first (atomically): no reader can find the key again, even half overwritten, and a
        // guard sealing for the subject meanwhile makes a new key. Then the bytes are overwritten and removed.
        // Files an earlier erasure left behind (it died between the two) are shredded too.
        const doomed = `${path}.${toHex(randomBytes(8))}.erasing`;
        let moved = true;
        try {
          await rename(path, doomed);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          moved = false;
        }
        const leftovers = (await readdir(keysDir).catch(() => [] as string[]))
          .filter((name) => name.startsWith(`${ref}.key.`) && name.endsWith('.erasing'))
          .map((name) => join(keysDir, name));
        for (const file of leftovers) {
          await shred(file);
          await unlink(file).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') throw error;
          });
        }
        await fsyncDir(keysDir);
        return moved && kid !== undefined ? [kid] : [];
      } catch (cause) {
        throw failed('cannot destroy the keys', cause);
      }
    },
  });
}

/** Reads a key file (key id, then key), or undefined when it is not there. */
async function readKey(path: string): Promise<SubjectKey | undefined> {
  const bytes = await readStoreFile(path);
  if (bytes === undefined) return undefined;
  const key = toKey(bytes);
  if (key === undefined) {
    throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${path} is not a key (40 bytes, not all zero)`);
  }
  return key;
}

/**
 * Files of the store are opened without following a symbolic link and without waiting: a link put at a key's name
 * would make the store seal with (or shred) a file from outside it, and a FIFO would hold the read, and one of
 * libuv's few pool threads, forever. On a regular file the flags change nothing.
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const WRITE_FLAGS = constants.O_RDWR | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
/** Largest file of the store read: a key file is 40 bytes and the secret 32; anything larger is refused unread. */
const MAX_STORE_FILE_BYTES = 64;

/** Reads one file of the store: its bytes, or undefined when it is not there; refused unless a small regular file. */
async function readStoreFile(path: string): Promise<Uint8Array | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${path} is a symbolic link, not a key store file`);
    }
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${path} is not a regular file`);
    }
    if (stats.size > MAX_STORE_FILE_BYTES) {
      throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${path} is larger than any file of the store`);
    }
    const buffer = new Uint8Array(MAX_STORE_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_STORE_FILE_BYTES) {
        throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${path} is larger than any file of the store`);
      }
    }
    return buffer.slice(0, length);
  } finally {
    await handle.close();
  }
}

function toKey(bytes: Uint8Array): SubjectKey | undefined {
  // An all-zero key (or key id) is a shredded file, never a key: refused as corrupt.
  if (bytes.length !== 40 || bytes.subarray(8).every((b) => b === 0) || bytes.subarray(0, 8).every((b) => b === 0)) {
    return undefined;
  }
  return { kid: toHex(bytes.subarray(0, 8)), key: bytes.slice(8) };
}

/**
 * Writes `bytes` to `path` unless a file is there, and answers what the file holds: the bytes go to a temporary
 * file, fsynced, then are linked into place (link fails on an existing name), so nobody reads a half-written file.
 */
async function createOnce(path: string, bytes: Uint8Array): Promise<Uint8Array> {
  const existing = await readStoreFile(path);
  if (existing !== undefined) return existing;
  const tmp = `${path}.${toHex(randomBytes(8))}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, path);
  } catch (error) {
    // Someone else's file won: our bytes, never used, are overwritten (after a successful link the temporary
    // name is the same inode as the key, so only its name goes).
    await shred(tmp).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const dirOf = path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')));
  await fsyncDir(dirOf);
  const made = await readStoreFile(path);
  if (made === undefined) throw new AuditError('ERR_AUDIT_KEY_STORE_FAILED', `key store: ${path} vanished`);
  return made;
}

/**
 * Overwrites a file in place with random bytes, then zeros, each fsynced (best effort against recovery). Only a
 * regular file is written: a symbolic link (to a file outside the store) or anything else is left for the caller
 * to unlink, its target untouched.
 * @returns false when there is no such file, or it is not a regular file.
 */
async function shred(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, WRITE_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'EMLINK' || code === 'EISDIR') return false;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return false;
    const { size } = stats;
    await handle.write(randomBytes(size), 0, size, 0);
    await handle.sync();
    await handle.write(new Uint8Array(size), 0, size, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync().catch(() => undefined); // some platforms refuse fsync on a directory
  } finally {
    await handle.close();
  }
}

import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BundleError } from './errors.js';
import type { EvidenceBundle } from './export.js';
import { BUNDLE_DIRS, CONTENT_FILE, MAX_BUNDLE_FILE_BYTES, MAX_BUNDLE_FILES } from './format.js';

/**
 * Writes a bundle's files into `dir`, which must not exist or be empty: a bundle is written whole, never over
 * another one.
 *
 * @throws BundleError `ERR_EVIDENCE_BUNDLE_INPUT_INVALID` when `dir` holds files, or a path is not a bundle path.
 * @example
 * ```ts
 * await writeBundleDirectory('incident-42', await exportBundle({ log, signer }));
 * ```
 */
export async function writeBundleDirectory(dir: string, bundle: Pick<EvidenceBundle, 'files'>): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('"dir" expected a path');
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw new BundleError(
      'ERR_EVIDENCE_BUNDLE_INPUT_INVALID',
      `${dir} is not empty: a bundle is written into a new directory`,
    );
  }
  for (const sub of BUNDLE_DIRS) {
    if ([...bundle.files.keys()].some((name) => name.startsWith(`${sub}/`))) await mkdir(join(dir, sub));
  }
  for (const [name, bytes] of bundle.files) {
    if (name.includes('/') && !CONTENT_FILE.test(name)) {
      throw new BundleError('ERR_EVIDENCE_BUNDLE_INPUT_INVALID', `${JSON.stringify(name)} is not a bundle path`);
    }
    if (name.includes('\\') || name.startsWith('.'))
      throw new BundleError('ERR_EVIDENCE_BUNDLE_INPUT_INVALID', `${JSON.stringify(name)} is not a bundle path`);
    await writeFile(join(dir, name), bytes, { flag: 'wx' });
  }
}

/**
 * Reads every entry under a bundle directory (symbolic links are not followed), by relative path with `/`.
 * Anything that is not a regular file (a link, a device, a nested directory) is read as empty, so that
 * verification reports it as added or changed rather than skipping it.
 *
 * @throws BundleError `ERR_EVIDENCE_BUNDLE_TOO_LARGE` when the bundle has more files, or a larger file, than a
 *   bundle may; `ERR_EVIDENCE_BUNDLE_INPUT_INVALID` when `dir` is not a directory.
 * @example
 * ```ts
 * const report = verifyBundle(await readBundleDirectory('incident-42'), { trust: [exporter.id] });
 * ```
 */
export async function readBundleDirectory(dir: string): Promise<Map<string, Uint8Array>> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('"dir" expected a path');
  const info = await lstat(dir).catch((cause: unknown) => {
    throw new BundleError('ERR_EVIDENCE_BUNDLE_INPUT_INVALID', `cannot read ${dir}`, { cause });
  });
  if (!info.isDirectory()) throw new BundleError('ERR_EVIDENCE_BUNDLE_INPUT_INVALID', `${dir} is not a directory`);
  const files = new Map<string, Uint8Array>();
  const walk = async (at: string, depth: number): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const name = relative(dir, path).split(sep).join('/');
      if (files.size > MAX_BUNDLE_FILES) {
        throw new BundleError('ERR_EVIDENCE_BUNDLE_TOO_LARGE', `${dir} holds more than ${MAX_BUNDLE_FILES} files`);
      }
      if (entry.isDirectory() && depth === 0 && (BUNDLE_DIRS as readonly string[]).includes(entry.name)) {
        await walk(path, 1);
        continue;
      }
      if (!entry.isFile()) {
        files.set(name, new Uint8Array(0));
        continue;
      }
      const stat = await lstat(path);
      if (stat.size > MAX_BUNDLE_FILE_BYTES) {
        throw new BundleError('ERR_EVIDENCE_BUNDLE_TOO_LARGE', `${name} is larger than ${MAX_BUNDLE_FILE_BYTES} bytes`);
      }
      // A plain Uint8Array over the memory readFile allocated for this file alone: no copy of a file that may be
      // a gigabyte. A small file may sit in Node's shared pool; that one is copied, so no view reaches other bytes.
      const read = await readFile(path);
      files.set(
        name,
        read.byteLength === read.buffer.byteLength
          ? new Uint8Array(read.buffer, read.byteOffset, read.byteLength)
          : new Uint8Array(read),
      );
    }
  };
  await walk(dir, 0);
  return files;
}

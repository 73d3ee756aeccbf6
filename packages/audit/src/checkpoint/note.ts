/**
 * C2SP signed notes (c2sp.org/signed-note) and transparency log checkpoints
 * (c2sp.org/tlog-checkpoint), Ed25519 only, as golang.org/x/mod/sumdb/note
 * writes them, so that other transparency tooling can read our checkpoints.
 */
import { verify } from '@agentguard/identity';
import { bytesEqual, concatBytes, fromBase64, sha256, toBase64, toHex, utf8 } from '@agentguard/statement';

/** Signature type byte of Ed25519 in signed notes (c2sp.org/signed-note §Signature types). */
const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 '; // "— ": EM DASH, SPACE
const MAX_NOTE = 8192;

/** A checkpoint: the log's origin, its size and root hash, and any extension lines. */
export interface Checkpoint {
  /** Unique identity of the log (first line). */
  readonly origin: string;
  /** Number of records in the tree. */
  readonly size: number;
  /** RFC 9162 root hash of the first `size` records. */
  readonly root: Uint8Array;
  /** Lines after the root hash (ours: `time <RFC 3339>`). */
  readonly extensions: readonly string[];
}

/** Key names and origins: printable, no whitespace, no '+' (c2sp.org/signed-note). */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= 256 && /^[\x21-\x2A\x2C-\x7E]+$/.test(name);
}

/** The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4] (c2sp.org/signed-note §Ed25519). */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(`${name}\n`), Uint8Array.of(ALG_ED25519), publicKey)).slice(0, 4);
}

/** The verifier key text `<name>+<key id hex>+<base64(0x01 || public key)>` that note tools take. */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  return `${name}+${toHex(noteKeyId(name, publicKey))}+${toBase64(concatBytes(Uint8Array.of(ALG_ED25519), publicKey))}`;
}

/**
 * The text of a checkpoint body: origin, decimal size, base64 root, extension lines, each ending in a newline.
 * @throws TypeError when the origin is not a C2SP key name (readers refuse it), or an extension line is empty
 *   or holds a newline.
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (!isValidKeyName(checkpoint.origin)) {
    throw new TypeError('"origin" expected 1 to 256 printable ASCII characters without spaces or "+"');
  }
  if (checkpoint.extensions.some((line) => typeof line !== 'string' || line.length === 0 || line.includes('\n'))) {
    throw new TypeError('"extensions" expected non-empty lines without newlines');
  }
  const lines = [checkpoint.origin, String(checkpoint.size), toBase64(checkpoint.root), ...checkpoint.extensions];
  return `${lines.join('\n')}\n`;
}

/** Parses a checkpoint body; undefined when it is not one. */
export function parseCheckpoint(body: string): Checkpoint | undefined {
  if (!body.endsWith('\n')) return undefined;
  const lines = body.slice(0, -1).split('\n');
  const [origin, size, root, ...extensions] = lines;
  if (origin === undefined || size === undefined || root === undefined) return undefined;
  // The origin is also the signed-note key name: the same rules (c2sp.org/signed-note), as the writer enforces.
  if (!isValidKeyName(origin)) return undefined;
  // Decimal without leading zeros (c2sp.org/tlog-checkpoint).
  if (!/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) return undefined;
  let rootBytes: Uint8Array;
  try {
    rootBytes = fromBase64(root);
  } catch {
    return undefined;
  }
  if (rootBytes.length !== 32 || extensions.some((l) => l.length === 0)) return undefined;
  return { origin, size: Number(size), root: rootBytes, extensions };
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

/** Splits a signed note into its text and signature lines; undefined when malformed. */
export function splitNote(note: string): { text: string; signatures: NoteSignature[] } | undefined {
  if (typeof note !== 'string' || note.length > MAX_NOTE || !note.endsWith('\n')) return undefined;
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return undefined;
  const text = note.slice(0, split + 1);
  const signatures: NoteSignature[] = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(SIG_PREFIX)) return undefined;
    const [name, blob, ...rest] = line.slice(SIG_PREFIX.length).split(' ');
    if (name === undefined || blob === undefined || rest.length > 0 || !isValidKeyName(name)) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(blob);
    } catch {
      return undefined;
    }
    if (bytes.length < 5) return undefined;
    signatures.push({ name, keyId: bytes.slice(0, 4), signature: bytes.slice(4) });
  }
  return signatures.length === 0 ? undefined : { text, signatures };
}

/** The base64 blob of a signature line: key ID then the 64-byte signature. */
export function signatureBlob(name: string, publicKey: Uint8Array, signature: Uint8Array): string {
  return toBase64(concatBytes(noteKeyId(name, publicKey), signature));
}

/** Appends a signature line to note `text`. */
export function joinNote(text: string, name: string, blob: string): string {
  return `${text}\n${SIG_PREFIX}${name} ${blob}\n`;
}

/**
 * Opens a signed note: returns its text when a signature by `name` with
 * `publicKey` verifies over it, else undefined (c2sp.org/signed-note: unknown
 * signatures are ignored; one known, valid signature is enough).
 */
export function openNote(note: string, name: string, publicKey: Uint8Array): string | undefined {
  const parts = splitNote(note);
  if (parts === undefined) return undefined;
  const keyId = noteKeyId(name, publicKey);
  const message = utf8(parts.text);
  for (const s of parts.signatures) {
    if (
      s.name === name &&
      bytesEqual(s.keyId, keyId) &&
      s.signature.length === 64 &&
      verify(s.signature, message, publicKey)
    ) {
      return parts.text;
    }
  }
  return undefined;
}

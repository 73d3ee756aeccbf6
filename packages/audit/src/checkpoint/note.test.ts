import { fromBase64, toBase64, utf8 } from '@agentguard/statement';
import { describe, expect, it } from 'vitest';
import {
  formatCheckpoint,
  joinNote,
  noteKeyId,
  openNote,
  parseCheckpoint,
  signatureBlob,
  splitNote,
  verifierKey,
} from './note.js';
import { AGENT } from '../../test/helpers.js';

// golang.org/x/mod/sumdb/note note_test.go (TestSign, TestOpen): the reference signed note.
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const GO_PUB = (fromBase64(GO_VKEY.split('+')[2] as string) as Uint8Array).slice(1);

describe('signed notes', () => {
  it('opens the Go reference note and derives its verifier key', () => {
    expect(verifierKey('PeterNeumann', GO_PUB)).toBe(GO_VKEY);
    expect(openNote(GO_NOTE, 'PeterNeumann', GO_PUB)).toBe(GO_TEXT);
  });

  it('refuses a changed text, another key name, or a changed signature', () => {
    expect(openNote(GO_NOTE.replace('cryptography', 'cryptographY'), 'PeterNeumann', GO_PUB)).toBeUndefined();
    expect(openNote(GO_NOTE, 'PeterNeuman', GO_PUB)).toBeUndefined();
    expect(openNote(GO_NOTE.replace('x08go', 'x08gp'), 'PeterNeumann', GO_PUB)).toBeUndefined();
    expect(openNote(GO_NOTE, 'PeterNeumann', AGENT.publicKey)).toBeUndefined();
  });

  it.each([
    ['no blank line', GO_TEXT],
    ['no final newline', GO_NOTE.slice(0, -1)],
    ['a hyphen for the em dash', GO_NOTE.replace('\u2014', '-')],
    ['a bad key name', GO_NOTE.replace('PeterNeumann', 'Peter+Neumann')],
    ['bad base64', GO_NOTE.replace('x08go/', 'x08go!')],
    ['an extra field', GO_NOTE.replace('JnAM=', 'JnAM= x')],
    ['a too-large note', `${'a'.repeat(9000)}\n${GO_NOTE}`],
  ])('rejects a malformed note: %s', (_name, note) => {
    expect(splitNote(note)).toBeUndefined();
    expect(openNote(note, 'PeterNeumann', GO_PUB)).toBeUndefined();
  });

  it('signs notes that open, with the key id of the spec', async () => {
    const text = formatCheckpoint({
      origin: 'example.com/log',
      size: 3,
      root: new Uint8Array(32).fill(1),
      extensions: [],
    });
    const blob = signatureBlob('example.com/log', AGENT.publicKey, await AGENT.sign(utf8(text)));
    const note = joinNote(text, 'example.com/log', blob);
    expect(openNote(note, 'example.com/log', AGENT.publicKey)).toBe(text);
    expect(splitNote(note)?.signatures[0]?.keyId).toEqual(noteKeyId('example.com/log', AGENT.publicKey));
  });
});

describe('checkpoints', () => {
  it('formats and parses the C2SP tlog-checkpoint body', () => {
    const root = new Uint8Array(32).fill(0xab);
    const body = formatCheckpoint({ origin: 'o', size: 42, root, extensions: ['time 2026-01-01T00:00:00.000Z'] });
    expect(body).toBe(`o\n42\n${toBase64(root)}\ntime 2026-01-01T00:00:00.000Z\n`);
    expect(parseCheckpoint(body)).toEqual({
      origin: 'o',
      size: 42,
      root,
      extensions: ['time 2026-01-01T00:00:00.000Z'],
    });
  });

  it.each([
    ['a leading zero', `o\n042\n${toBase64(new Uint8Array(32))}\n`],
    ['a negative size', `o\n-1\n${toBase64(new Uint8Array(32))}\n`],
    ['a short root', `o\n1\n${toBase64(new Uint8Array(31))}\n`],
    ['no final newline', `o\n1\n${toBase64(new Uint8Array(32))}`],
    ['an empty origin', `\n1\n${toBase64(new Uint8Array(32))}\n`],
    ['missing root', 'o\n1\n'],
    ['an empty extension line', `o\n1\n${toBase64(new Uint8Array(32))}\n\n`],
  ])('rejects %s', (_name, body) => {
    expect(parseCheckpoint(body)).toBeUndefined();
  });
});

import { IN_TOTO_PAYLOAD_TYPE as PAYLOAD_TYPE } from '../src/in-toto.js';

/*
 * Known answers from the DSSE specification repository, secure-systems-lab/dsse:
 * - protocol.md, "Test Vectors": PAE of "hello world" as http://example.com/HelloWorld.
 * - testvectors/vectors.json (at commit 82043adf78bb4e67c208f9ffa72b38804ea6a0c4): envelopes signed with the RFC 8032 §7.1
 *   TEST 1 (A) and TEST 2 (B) Ed25519 keys, each with the hex of its PAE and the expected
 *   verdict for the given trusted keys, threshold and supported payload types.
 * Transcribed here field by field (Apache-2.0); see vectors/README.md for the other sets.
 */
export const KEYS = {
  A: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  B: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
} as const;
export const PUBLIC = {
  A: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  B: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
} as const;
export type KeyName = keyof typeof KEYS;

const STATEMENT_B64 = 'eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ==';
const PAE_INTOTO_43 =
  '445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d';
export const SIG_A = '2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA==';
const SIG_B = 'c1+67/aT0yqEpwx8PsVY3MLHsj9D0CZ014/Fv/QlG59P+9CobUZ7xECJ/V3USG0Ob9CiE5LjReEZUzNF2l7eBw==';

export interface Vector {
  id: string;
  payloadType: string;
  payload: string;
  signatures: { sig: string; keyid?: KeyName }[];
  trusted: KeyName[];
  threshold: number;
  supported: string[];
  /** Hex of the PAE the signatures cover (for the swapped vector: of the original type). */
  pae: string;
  expect: 'accept' | 'reject';
}

export const VECTORS: Vector[] = [
  {
    id: 'single-signature',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [{ sig: SIG_A, keyid: 'A' }],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'accept',
  },
  {
    id: 'url-safe-base64',
    payloadType: PAYLOAD_TYPE,
    payload: '-_-_Pj8=',
    signatures: [
      { sig: 'P-_KHICeR7tI6S_YyejJTRtrXhcQyQ2LYPaL8h90KjC9qN8HU_svOQ6TuDOT1HIrsGW886DbWNWcCmX5twLrAw==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: '445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203520fbffbf3e3f',
    expect: 'accept',
  },
  {
    id: 'payload-type-swapped',
    payloadType: 'application/vnd.example.other+json',
    payload: STATEMENT_B64,
    signatures: [{ sig: SIG_A, keyid: 'A' }],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE, 'application/vnd.example.other+json'],
    pae: PAE_INTOTO_43,
    expect: 'reject',
  },
  {
    id: 'non-ascii-payload-type',
    payloadType: 'application/vnd.exämple+json',
    payload: STATEMENT_B64,
    signatures: [
      { sig: 'xmSk/ug66ysT7ayhkCIjhAq42zgZXSsEWuzUaNL7w2eGAdF/NU6/fRXPtmfN+5DNSAs5/i2lUnHjbbjPsu0tAw==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: ['application/vnd.exämple+json'],
    pae: '445353457631203239206170706c69636174696f6e2f766e642e6578c3a46d706c652b6a736f6e203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d',
    expect: 'accept',
  },
  {
    id: 'empty-payload',
    payloadType: PAYLOAD_TYPE,
    payload: '',
    signatures: [
      { sig: 'gSggCAaTLTYyRH6FIDBem6meyIynsYy8RTHVzwx9tnTb7Bg/1jMWnuVgI/gffqmbsC2VX5/jHfkkDqsj7CDbDg==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: '445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203020',
    expect: 'accept',
  },
  {
    id: 'empty-payload-type',
    payloadType: '',
    payload: STATEMENT_B64,
    signatures: [
      { sig: 'iC3q/+3Rm0+lpAJRueDmDh15PnwCfxKmS0NAfKsbv+zgulXQC/WM9trc+j1XEqlwDIg/vf/uNfebeD6sxInrDg==', keyid: 'A' },
    ],
    trusted: ['A'],
    threshold: 1,
    supported: [PAYLOAD_TYPE],
    pae: '445353457631203020203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d',
    expect: 'reject',
  },
  {
    id: 'threshold-two-distinct-keys',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [
      { sig: SIG_A, keyid: 'A' },
      { sig: SIG_B, keyid: 'B' },
    ],
    trusted: ['A', 'B'],
    threshold: 2,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'accept',
  },
  {
    id: 'threshold-two-one-key-twice',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [
      { sig: SIG_A, keyid: 'A' },
      { sig: SIG_A, keyid: 'A' },
    ],
    trusted: ['A', 'B'],
    threshold: 2,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'reject',
  },
  {
    id: 'threshold-two-without-keyids',
    payloadType: PAYLOAD_TYPE,
    payload: STATEMENT_B64,
    signatures: [{ sig: SIG_A }, { sig: SIG_B }],
    trusted: ['A', 'B'],
    threshold: 2,
    supported: [PAYLOAD_TYPE],
    pae: PAE_INTOTO_43,
    expect: 'accept',
  },
];

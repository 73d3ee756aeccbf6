import type { InclusionResult, VerifyRequest, VerifyResult } from '../session.js';
import type { Timeline } from '../timeline.js';

/** Page to worker. */
export type ToWorker =
  /** The log as a Blob (a File or a fetched body): cloned by reference, each worker reads it itself. */
  | ({ readonly kind: 'verify'; readonly file: Blob } & Omit<VerifyRequest, 'bytes'>)
  | { readonly kind: 'prove'; readonly line: number }
  /** Sent to the second worker, which reads the records for display while the first verifies. */
  | { readonly kind: 'timeline'; readonly file: Blob };

/** Worker to page. */
export type FromWorker =
  | { readonly kind: 'progress'; readonly checked: number; readonly total: number }
  | ({
      readonly kind: 'done';
      readonly ms: number;
      /** The text of the first bad line, to show it (empty when none). */
      readonly badLine: string;
    } & VerifyResult)
  | { readonly kind: 'timeline'; readonly timeline: Timeline }
  | { readonly kind: 'proof'; readonly result: InclusionResult }
  | { readonly kind: 'error'; readonly message: string };

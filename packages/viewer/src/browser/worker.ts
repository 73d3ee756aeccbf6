/**
 * The page's Web Worker: runs `@agentguard/audit`'s verifier off the page's thread and reports progress.
 * Bundled by scripts/build-html.ts into a string the page starts as a blob: worker (a page opened from
 * file:// cannot load a worker from a separate file in Chromium).
 */
import { decodeLog, proveInclusion, verifyForView } from '../session.js';
import { buildTimeline } from '../timeline.js';
import type { FromWorker, ToWorker } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => Promise<void>) | null;
  postMessage(message: FromWorker): void;
}

const scope = globalThis as unknown as WorkerScope;
let verifiedText: string | undefined;

/** The 1-based `n`th line of `text`, without splitting the whole log again. */
function nthLine(text: string, n: number): string | undefined {
  let from = 0;
  for (let i = 1; i < n; i++) {
    from = text.indexOf('\n', from) + 1;
    if (from === 0) return undefined;
  }
  const end = text.indexOf('\n', from);
  return text.slice(from, end === -1 ? undefined : end).slice(0, 4096);
}

scope.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.kind === 'verify') {
      verifiedText = undefined;
      const start = performance.now();
      const { file, ...options } = message;
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { report, text } = verifyForView({ ...options, bytes }, (checked, total) =>
        scope.postMessage({ kind: 'progress', checked, total }),
      );
      if (report.ok) verifiedText = text;
      const badLine = report.ok || report.line === 0 ? '' : (nthLine(text, report.line) ?? '');
      scope.postMessage({ kind: 'done', ms: performance.now() - start, report, badLine });
    } else if (message.kind === 'timeline') {
      scope.postMessage({
        kind: 'timeline',
        timeline: buildTimeline(decodeLog(new Uint8Array(await message.file.arrayBuffer()))),
      });
    } else if (verifiedText !== undefined) {
      scope.postMessage({ kind: 'proof', result: proveInclusion(verifiedText, message.line) });
    }
  } catch (error) {
    scope.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};

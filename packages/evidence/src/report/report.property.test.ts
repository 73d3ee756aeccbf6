import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createComplianceReport } from './report.js';
import { guardLog, LOG_KEY, TRUST } from '../../test/report-logs.js';

const { bytes } = await guardLog();
const options = { regime: 'pci-dss-4', trust: TRUST, checkpointKeys: [LOG_KEY.id] } as const;

describe('integrity findings (property)', () => {
  it('a log intact finds 10.3; any changed byte makes it not found and names a record at or before the change', () => {
    expect(createComplianceReport(bytes, options).controls.find((c) => c.id === 'pci-dss-4/10.3')?.status).toBe(
      'found',
    );
    const lineOf = (at: number) => bytes.subarray(0, at).filter((b) => b === 0x0a).length;
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const changed = bytes.slice();
        changed[at] = ((changed[at] as number) + delta) % 256;
        const report = createComplianceReport(changed, options);
        const c = report.controls.find((x) => x.id === 'pci-dss-4/10.3');
        expect(c?.status).toBe('not found');
        expect(report.log.root).toBeUndefined();
        // Nothing at or after the changed record is read as evidence.
        expect(report.log.records).toBeLessThanOrEqual(lineOf(at));
      }),
      { numRuns: 60 },
    );
  });
});

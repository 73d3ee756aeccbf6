import { describe, expectTypeOf, it } from 'vitest';
import type { GuardedMcpClient, McpDenial, McpDenialCode } from './index.js';

// Run by `vitest --typecheck` (tsc): nothing here executes.
declare const client: GuardedMcpClient;
declare const approval: { payload: string };

describe('guardMcpClient types', () => {
  it('takes { callId, approval, signal } per call', () => {
    expectTypeOf(client.callTool).toBeCallableWith(
      { name: 'pay', arguments: { amount: 1 } },
      { callId: 'c1', approval },
    );
    expectTypeOf(client.callTool).toBeCallableWith({ name: 'pay' }, { signal: new AbortController().signal });
    // @ts-expect-error an unknown option is a typo
    client.callTool({ name: 'pay' }, { callID: 'c1' });
  });

  it('narrows a refusal to its typed Denial, whose code includes the pin mismatch', async () => {
    const result = await client.callTool({ name: 'pay' });
    if (result.isError) {
      expectTypeOf(result.denial).toEqualTypeOf<McpDenial>();
      expectTypeOf(result.denial.code).toEqualTypeOf<McpDenialCode>();
      expectTypeOf<'ERR_ADAPTER_MCP_PIN_MISMATCH'>().toExtend<McpDenialCode>();
    } else {
      expectTypeOf(result.denial).toEqualTypeOf<undefined>();
    }
  });
});

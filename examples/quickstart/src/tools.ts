import { z } from 'zod';

// Three ordinary tool functions, as an agent codebase would have them.
export const tools = {
  get_weather: {
    description: 'Current weather for a city',
    schema: z.object({ city: z.string().min(1).max(100) }),
    tags: ['read', 'external'],
    execute: async ({ city }: { city: string }) => ({ city, forecast: 'sunny', celsius: 21 }),
  },
  transfer_funds: {
    description: 'Move money between accounts',
    schema: z.object({ from: z.string(), to: z.string(), amount: z.number().positive() }),
    tags: ['write', 'payment'],
    execute: async () => {
      throw new Error('unreachable: the policy denies this tool');
    },
  },
  send_email: {
    description: 'Send an email',
    schema: z.object({ to: z.email(), subject: z.string().max(200), body: z.string().max(10_000) }),
    tags: ['write', 'external'],
    execute: async ({ to }: { to: string }) => ({ queued: true, to }),
  },
} as const;

// docs/guide/options.md, Per-user timeouts: the Express context (./express.ts) and the app's own settings, the
// idle timeout each user picked (in seconds), and who is an administrator.

export * from './express.js';

const picked = new Map([['ada', 600]]);
export const settings = {
  idleTimeoutOf: async (user: string) => picked.get(user) ?? 900,
};
export const admins = new Set(['grace']);

// The decisions trace, on when `NODE_DEBUG` names `session-security` (docs/guide/behaviour.md, "Troubleshooting"),
// written as Node's `util.debuglog` writes (`SESSION-SECURITY <pid>: …` on stderr) but without
// `node:util`, so that the `web` entry loads where there is none. Off, it costs one test.

interface MaybeProcess {
  process?: { env?: Record<string, string | undefined>; pid?: number };
}

const runtime = (globalThis as MaybeProcess).process;

/** Whether `NODE_DEBUG` (a comma-separated list, `*` a wildcard) names session-security. */
export function debugEnabled(nodeDebug: string | undefined): boolean {
  return (nodeDebug ?? '')
    .split(',')
    .some((name) => matches(name.trim().toLowerCase(), 'session-security'));
}

/** Whether `name` matches `pattern`, where each `*` stands for any text. */
function matches(pattern: string, name: string): boolean {
  const [first = '', ...rest] = pattern.split('*');
  if (rest.length === 0) return pattern === name;
  if (!name.startsWith(first)) return false;
  const last = rest.pop() ?? '';
  let at = first.length;
  for (const part of rest) {
    const found = name.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return name.length - last.length >= at && name.endsWith(last);
}

const enabled = debugEnabled(runtime?.env?.NODE_DEBUG);

/**
 * Traces one decision; `%s` in the message takes the next argument. `debug.enabled` tells a
 * caller whether working out the arguments is worth it.
 */
export const debug = Object.assign(
  function debug(format: string, ...args: unknown[]): void {
    if (!enabled) return;
    let next = 0;
    const message = format.replace(/%s/g, () => String(args[next++]));
    console.error(`SESSION-SECURITY ${runtime?.pid ?? ''}: ${message}`);
  },
  { enabled },
);

// Runs a generated example in Node: imports it (Vitest's aliases apply), lets its prelude
// exercise and close what it made, and closes every server it started. A server an example
// starts on a fixed port (the quick start's 3000, Prometheus's 9464) listens on a free port
// instead, so a run never collides with a real service; the prelude finds it in `servers`.

import net from 'node:net';

/** What a prelude gets once its example ran. */
export interface ExampleRun {
  /** The values the example made at its top level (its const, let, function and class names). */
  locals: Record<string, unknown>;
  /** The module's default export: the component a fragment that calls a hook became. */
  component: unknown;
  /** Every server that started listening in Node while the example (and its prelude) loaded. */
  servers: readonly net.Server[];
}

/** What a prelude exports as `$example`. */
export interface PreludeHooks {
  /** Exercises what the example made (its routes, its app); throws when something is wrong. */
  after?(run: ExampleRun): Promise<void>;
  /** Closes what the prelude opened; called whether the example passed or not. */
  cleanup?(): Promise<void>;
}

/**
 * Closes what an example made at its top level: Redis clients (`quit`), servers, Fastify
 * instances and exporters (`close`, `shutdown`), timers of its own (`stop`).
 */
export async function closeAll(locals: Record<string, unknown>): Promise<void> {
  for (const value of Object.values(locals)) {
    if (value instanceof net.Server) {
      await closeServers([value]);
      continue;
    }
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) continue;
    const object = value as Record<string, unknown>;
    const method = ['quit', 'close', 'shutdown', 'stop'].find(
      (name) => typeof object[name] === 'function',
    );
    if (method !== undefined) await (object[method] as () => unknown).call(value);
  }
}

/** Records the servers that start listening until `restore()`; a fixed port becomes port 0. */
function trackServers(): { servers: net.Server[]; restore: () => void } {
  const servers: net.Server[] = [];
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function trackedListen(this: net.Server, ...args: unknown[]) {
    servers.push(this);
    const [first] = args;
    if ((typeof first === 'number' || /^\d+$/.test(String(first))) && Number(first) !== 0) {
      args[0] = 0;
    } else if (typeof first === 'object' && first !== null && 'port' in first && first.port) {
      args[0] = { ...first, port: 0 };
    }
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  const restore = () => {
    net.Server.prototype.listen = listen;
  };
  return { servers, restore };
}

async function closeServers(servers: readonly net.Server[]): Promise<void> {
  await Promise.all(
    servers
      .filter((server) => server.listening)
      .map(
        (server) =>
          new Promise<void>((resolve) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => resolve());
          }),
      ),
  );
}

/** What the example printed on the console: kept out of the test's output, shown when it fails. */
function captureConsole(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((method) => console[method]);
  for (const method of methods) {
    console[method] = (...args: unknown[]) =>
      void lines.push(`${method}: ${args.map(String).join(' ')}`);
  }
  return {
    lines,
    restore: () => {
      for (const [i, method] of methods.entries()) console[method] = saved[i] as Console['log'];
    },
  };
}

type ExampleModule = { $locals?: Record<string, unknown>; default?: unknown };
type PreludeModule = { $example?: PreludeHooks };

/**
 * Runs one example module: rejects when it (or its prelude's check) throws or rejects; resolves
 * with what it printed. Vitest's module registry must be reset before (each example gets its
 * own prelude and library).
 */
export async function runInNode(path: string, prelude: string | undefined): Promise<string[]> {
  const tracked = trackServers();
  const printed = captureConsole();
  let hooks: PreludeHooks | undefined;
  let locals: Record<string, unknown> = {};
  try {
    let module: ExampleModule;
    try {
      module = (await import(/* @vite-ignore */ path)) as ExampleModule;
    } finally {
      // The prelude ran first (the example imports it): its hooks close it even when the example threw.
      hooks = prelude
        ? ((await import(/* @vite-ignore */ prelude).catch(() => ({}))) as PreludeModule).$example
        : undefined;
    }
    locals = module.$locals ?? {};
    await hooks?.after?.({ locals, component: module.default, servers: tracked.servers });
  } catch (error) {
    if (error instanceof Error && printed.lines.length > 0) {
      error.message += `\nThe example printed:\n${printed.lines.join('\n')}`;
    }
    throw error;
  } finally {
    tracked.restore();
    printed.restore();
    try {
      await closeAll(locals);
      await hooks?.cleanup?.();
    } finally {
      await closeServers(tracked.servers);
    }
  }
  return printed.lines;
}

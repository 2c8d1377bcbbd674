// Which prelude each example runs after (test/examples/preludes/): one per source module (a
// folder or a file of src/, the longest match wins) or per README section. A prelude declares,
// with real values, the free names the examples of its module use (a real Express app and a
// live request of a signed-in session, a Fastify instance, a Koa app, the run's Redis…).

/** How an example runs. */
export interface Choice {
  /** Its prelude, test/examples/preludes/<name>.ts; none: only the names of its own module. */
  prelude?: string;
  /** A README block that goes on from the blocks before it in its section (it uses their names). */
  continues?: boolean;
  /** The choice for the first block of the section, when it differs (a whole app, then fragments). */
  first?: Choice;
}

/** By the start of a path in src/: the longest that matches wins. */
export const SOURCE_PRELUDES: Readonly<Record<string, Choice>> = {
  'src/adapter/': { prelude: 'node-http' },
  'src/better-auth/': { prelude: 'better-auth' },
  'src/next/': { prelude: 'next' },
  'src/nestjs/': { prelude: 'nestjs' },
  'src/sveltekit/': { prelude: 'sveltekit' },
  'src/client/session-security.ts': { prelude: 'browser' },
  'src/client/server-config.ts': { prelude: 'browser' },
  'src/react/': { prelude: 'browser' },
  'src/core/errors.ts': { prelude: 'fastify-bare' },
  'src/core/next.ts': { prelude: 'express' },
  'src/core/policy-description.ts': { prelude: 'express' },
  'src/core/policy.ts': { prelude: 'core' },
  'src/core/user-agent.ts': { prelude: 'express' },
  'src/opentelemetry/': { prelude: 'opentelemetry' },
  'src/testing/sign-in.ts': { prelude: 'sign-in' },
  'src/server/body.ts': { prelude: 'express' },
  'src/server/express.ts': { prelude: 'express' },
  'src/server/fastify.ts': { prelude: 'fastify' },
  'src/server/fastify-session.ts': { prelude: 'fastify-bare' },
  'src/server/html.ts': { prelude: 'core' },
  'src/server/koa.ts': { prelude: 'koa' },
  'src/server/koa-session.ts': { prelude: 'koa' },
  'src/server/lifecycle.ts': { prelude: 'node-http' },
  'src/server/methods.ts': { prelude: 'express' },
  'src/server/node-facts.ts': { prelude: 'node-http' },
  'src/server/outcome.ts': { prelude: 'node-http' },
  'src/server/session-store-guard.ts': { prelude: 'redis' },
  'src/server/store-guard.ts': { prelude: 'store-guard' },
  'src/stores/': { prelude: 'redis' },
  'src/server/hono.ts': { prelude: 'hono' },
  'src/server/hono-sessions.ts': { prelude: 'hono' },
  'src/web/': { prelude: 'web' },
};

/**
 * By the heading of the section of the docs (README.md, docs/) a block is in, or failing that of
 * a section around it: the heading's text, whatever its level.
 */
export const MARKDOWN_PRELUDES: Readonly<Record<string, Choice>> = {
  'Quick start': { prelude: 'readme-app' },
  'Express quick start': { prelude: 'whole-app' },
  'With Passport': { prelude: 'whole-app' },
  'Compliance presets': { prelude: 'express' },
  'Per-user timeouts': { prelude: 'per-user' },
  'Audit events': { prelude: 'express', continues: true },
  'Why a sign-in lived or ended: the trace': { prelude: 'express' },
  'Metrics (OpenTelemetry)': { prelude: 'express' },
  "A user's sign-ins": { prelude: 'express' },
  'A limit per user': { prelude: 'express' },
  'Turn the lock on': { prelude: 'express' },
  'Ask again before what matters': { prelude: 'express' },
  'The lock in the browser': { prelude: 'browser' },
  Passkeys: { prelude: 'express' },
  'In the browser: `hold`': { prelude: 'browser', first: { prelude: 'express' } },
  'On the server: `security.hold`': { prelude: 'express' },
  'The clock on the server': { prelude: 'testing' },
  'The clock in the browser': { prelude: 'testing' },
  'Evidence for an auditor: `session-security verify`': { prelude: 'policy-file' },
  'Several instances: the Redis store': { prelude: 'redis', first: { prelude: 'whole-app' } },
  Fastify: { prelude: 'whole-app' },
  Koa: { prelude: 'whole-app' },
  Hono: { prelude: 'whole-app' },
  'better-auth': { prelude: 'better-auth' },
  'Next.js': { prelude: 'next' },
  NestJS: { prelude: 'nestjs' },
  SvelteKit: { prelude: 'sveltekit' },
  React: { prelude: 'browser' },
  // A Vite config: it runs in Node, and needs nothing.
  'Single-page apps': {},
  'A single-page app without React': { prelude: 'browser' },
  'The browser client': { prelude: 'browser' },
  'From django-session-security': { prelude: 'express' },
  'From react-idle-timer': { prelude: 'browser' },
};

/** A heading's text: `### Koa` is `Koa`. */
const headingText = (heading: string) => heading.replace(/^#+\s*/, '').trim();

/** The choice for a Markdown block: of its innermost section the table names (`first`: the section's first block). */
export function markdownChoice(sections: readonly string[], first = false): Choice {
  const named = sections.map(headingText).findLast((text) => text in MARKDOWN_PRELUDES);
  const choice = named === undefined ? {} : (MARKDOWN_PRELUDES[named] ?? {});
  return (first && choice.first) || choice;
}

/** The prelude of an example of src/, by the longest path start that matches its file. */
export function sourceChoice(file: string): Choice {
  const key = Object.keys(SOURCE_PRELUDES)
    .filter((start) => file.startsWith(start))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined ? {} : (SOURCE_PRELUDES[key] ?? {});
}

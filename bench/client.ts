// `npm run bench`: what the browser client costs. The prebuilt script's size (minified and
// gzipped, dialog and English included; the stylesheet apart), the drafts script's (loaded only
// on pages with a form), and the pings one browser sends:
// from sign-in to expiry with 5 idle tabs, and over three expireAfter periods with 1 tab in use
// that makes no requests. Each ping count is also measured with BroadcastChannel and Web Locks
// taken away (every tab on its own fallback), as the baseline of the same run.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, openTab, removeTabApis, signIn, startDemo } from '../test/e2e/support.js';

// Long enough that the report margin (at least 10 s or a tenth of warnAfter, at most a third of
// it) is not dwarfed by the 1 s granularity of input; set BENCH_EXPIRE_AFTER / BENCH_WARN_AFTER.
const EXPIRE_AFTER = Number(process.env.BENCH_EXPIRE_AFTER ?? 20);
const WARN_AFTER = Number(process.env.BENCH_WARN_AFTER ?? 14);
const SIZE_GOAL_BYTES = 4096;
const DRAFTS_SIZE_GOAL_BYTES = 1536;

function sizes() {
  const read = (file: string) => readFileSync(new URL(`../assets/${file}`, import.meta.url));
  const script = read('session-security.js');
  const drafts = read('session-security-drafts.js');
  const style = read('session-security.css');
  return {
    scriptMin: script.length,
    scriptGzip: gzipSync(script, { level: 9 }).length,
    draftsMin: drafts.length,
    draftsGzip: gzipSync(drafts, { level: 9 }).length,
    styleMin: style.length,
    styleGzip: gzipSync(style, { level: 9 }).length,
  };
}

async function countPings(
  browser: Browser,
  origin: string,
  options: { tabs: number; fallback: boolean; activeForMs?: number },
): Promise<number> {
  const context: BrowserContext = await browser.newContext();
  if (options.fallback) await removeTabApis(context);
  const first = await context.newPage();
  await signIn(first, origin);
  let pings = 0;
  context.on('request', (request) => {
    if (request.url().includes('/session-security/ping')) pings++;
  });
  const pages = [first];
  for (let i = 1; i < options.tabs; i++) pages.push(await openTab(context, `${origin}/second`));
  if (options.activeForMs) {
    const until = Date.now() + options.activeForMs;
    let x = 10;
    while (Date.now() < until) {
      x = x === 10 ? 20 : 10;
      await first.mouse.move(x, x);
      await first.waitForTimeout(500);
    }
    const onLogin = first.url().includes('/login');
    await context.close();
    if (onLogin) throw new Error('the tab in use was signed out: the measurement is void');
    return pings;
  }
  await Promise.all(
    pages.map((page) => page.waitForURL(/\/login\?/, { timeout: (EXPIRE_AFTER + 10) * 1000 })),
  );
  await context.close();
  return pings;
}

const size = sizes();
console.log('client size (bytes)');
console.log(
  `  script  min ${size.scriptMin}  min+gzip ${size.scriptGzip}  (goal ${SIZE_GOAL_BYTES}: ${size.scriptGzip <= SIZE_GOAL_BYTES ? 'met' : 'missed'})`,
);
console.log(
  `  drafts  min ${size.draftsMin}  min+gzip ${size.draftsGzip}  (goal ${DRAFTS_SIZE_GOAL_BYTES}: ${size.draftsGzip <= DRAFTS_SIZE_GOAL_BYTES ? 'met' : 'missed'})`,
);
console.log(`  style   min ${size.styleMin}  min+gzip ${size.styleGzip}`);

const demo = await startDemo({ expireAfter: EXPIRE_AFTER, warnAfter: WARN_AFTER });
const browser = await launchChromium();
try {
  console.log(
    `\npings per browser (demo expireAfter ${EXPIRE_AFTER} s, warnAfter ${WARN_AFTER} s)`,
  );
  for (const fallback of [false, true]) {
    const label = fallback
      ? 'fallback (no BroadcastChannel, no Web Locks)'
      : 'BroadcastChannel + Web Locks';
    const idle = await countPings(browser, demo.origin, { tabs: 5, fallback });
    const active = await countPings(browser, demo.origin, {
      tabs: 1,
      fallback,
      activeForMs: 3 * EXPIRE_AFTER * 1000,
    });
    console.log(`  ${label}`);
    console.log(`    5 idle tabs, sign-in to expiry:            ${idle}`);
    console.log(`    1 tab in use, no requests, 3 x expireAfter: ${active}`);
  }
} finally {
  await browser.close();
  await demo.close();
}

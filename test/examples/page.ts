// Runs in the browser page of one example (test/examples/browser.ts): loads the example after
// its prelude, lets the prelude exercise it, and leaves the result in `window.$exampleResult`.

import { $example } from './preludes/browser.js';

export interface PageResult {
  ok: boolean;
  error?: string;
}

declare global {
  interface Window {
    $exampleResult?: PageResult;
  }
}

const describe = (error: unknown) =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

export async function runPage(
  load: () => Promise<{ $locals?: Record<string, unknown>; default?: unknown }>,
): Promise<void> {
  let result: PageResult = { ok: true };
  try {
    const module = await load();
    await $example.after?.({
      locals: module.$locals ?? {},
      component: module.default,
      servers: [],
    });
  } catch (error) {
    result = { ok: false, error: describe(error) };
  } finally {
    try {
      await $example.cleanup?.();
    } catch (error) {
      if (result.ok) result = { ok: false, error: describe(error) };
    }
  }
  window.$exampleResult = result;
}

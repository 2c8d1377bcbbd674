// The README's picture of the warning (docs/public/warning.png), made from the demo in Chromium so
// that it shows the dialog as it is: the demo with a warning 2 s after sign-in, signed in as
// demo, the page left alone until the dialog opens, then a screenshot of the page.
// `npm run docs:screenshot [path]` writes it (default docs/public/warning.png);
// test/e2e/screenshot.test.ts runs it into a temporary file.

import { writeFile } from 'node:fs/promises';
import { launchChromium, signIn, startDemo } from '../test/e2e/support.js';

/** Makes the picture; resolves with its PNG bytes. */
export async function warningScreenshot(): Promise<Buffer> {
  const demo = await startDemo({ expireAfter: 120, warnAfter: 2 });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({
      viewport: { width: 960, height: 540 },
      reducedMotion: 'reduce',
      colorScheme: 'light',
    });
    const page = await context.newPage();
    await signIn(page, demo.origin, '/', 'demo');
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor({ state: 'visible', timeout: 10_000 });
    return await page.screenshot({ type: 'png' });
  } finally {
    await browser.close();
    await demo.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2] ?? new URL('../docs/public/warning.png', import.meta.url).pathname;
  await writeFile(target, await warningScreenshot());
  console.log(`screenshot: ${target}`);
}

// The README's picture of the warning is made by scripts/screenshot.ts from the demo in Chromium:
// the script must keep working, so that the picture can be made again whenever the dialog
// changes (`npm run docs:screenshot`).

import { describe, expect, it } from 'vitest';
import { warningScreenshot } from '../../scripts/screenshot.js';

describe('scripts/screenshot.ts', () => {
  it('makes a 960x540 PNG of the demo with its warning open', async () => {
    const png = await warningScreenshot();
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    // The IHDR chunk: width and height, big-endian, at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([960, 540]);
  }, 30_000);
});

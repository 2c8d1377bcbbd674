// The evidence run's example (docs/guide/testing.md: Evidence for an auditor): the options an app
// runs in production, whose policy the example writes as `verify --policy` reads it. The file it
// writes in the working directory is checked, then deleted.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { SessionSecurityOptions } from 'session-security';
import type { PreludeHooks } from '../run.js';

/** An app's production options: PCI DSS 4.0's preset, its 15 minutes. */
export const options: SessionSecurityOptions<unknown> = {
  preset: 'pci-dss-4',
  isAuthenticated: () => false,
  drafts: false,
};

const FILE = 'policy.json';

export const $example: PreludeHooks = {
  async after() {
    const written = JSON.parse(readFileSync(FILE, 'utf8')) as { markdown?: unknown };
    if (typeof written.markdown !== 'string' || !written.markdown.includes('`pci-dss-4`')) {
      throw new Error(
        `${FILE} is not the policy verify --policy reads: ${JSON.stringify(written)}`,
      );
    }
  },
  async cleanup() {
    if (existsSync(FILE)) rmSync(FILE);
  },
};

// The Next.js config of the example app. It builds session-security from the repository's
// sources (tsconfig.json maps the package's names to ../../src), whose relative imports say
// `./x.js` for `./x.ts`: Turbopack does not map these (next.js#82945), so a small loader drops
// the `.js` of relative imports in the app's and the library's TypeScript files.
import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  turbopack: {
    rules: {
      '*.{ts,tsx}': { loaders: ['./js-imports-loader.cjs'], condition: { not: 'foreign' } },
    },
  },
};

export default nextConfig;

// The example's SvelteKit config: adapter-node (`node serve.js` after `vite build`), and the
// library's SvelteKit entry from the repository's sources (an installed package needs no alias).
import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter(),
    alias: { 'session-security/sveltekit': '../../src/sveltekit/index.ts' },
  },
};

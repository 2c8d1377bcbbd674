// The docs site's theme: VitePress's default theme, with the colour changes of style.css that
// make it pass axe-core's WCAG 2 AA contrast checks (test/e2e/docs-site.test.ts).

import DefaultTheme from 'vitepress/theme';
import './style.css';

export default DefaultTheme;

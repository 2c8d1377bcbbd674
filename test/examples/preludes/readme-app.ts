// README's quick start: a whole app in 25 lines, with a page and its sign-in form only. After it
// ran, a browser goes through it on the server it started: the form, sign-in, the page with the
// client's tags, a ping (test/support/quick-start-walk.ts).

import { walkReadmeQuickStart } from '../../support/quick-start-walk.js';
import { walking } from './whole-app.js';

export const $example = walking(walkReadmeQuickStart);

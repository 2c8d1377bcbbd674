// Hostile pages of another site cannot keep a signed-in session alive nor sign the user out
// (hostile-scenarios.ts).

import { attackerTests } from './hostile-scenarios.js';

attackerTests('cross-site');

// Hostile pages of another origin of the same site cannot keep a signed-in session alive nor
// sign the user out; the controls show the measurement sees activity (hostile-scenarios.ts).

import { attackerTests, controls } from './hostile-scenarios.js';

controls();
attackerTests('same-site');

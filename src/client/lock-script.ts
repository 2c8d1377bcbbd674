// The lock script (assets/session-security-lock.js, `{prefix}/lock.js`): an ES module that the
// prebuilt client imports, with the warning's dialog, on pages of an app with the `lock` option.
// Its one export is the lock's factory.

export { createLock } from './lock.js';

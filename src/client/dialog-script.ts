// The dialog script (assets/session-security-dialog.js, `{prefix}/dialog.js`): an ES module that
// the prebuilt client imports only when a warning is near (most page views never need it), so
// the script every page loads stays small. Its one export is the dialog's factory; the client
// shows the dialog from then on, in place of the cover it used meanwhile.

export { createDialog } from './dialog.js';

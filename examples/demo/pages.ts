// The demo's HTML pages: plain strings with every value escaped, no inline script or style,
// so the strict Content-Security-Policy holds.

import { describeEvent, type SessionSecurityEvent } from 'session-security';
import type { RefusedCounts } from './audit.js';

/** The languages of the client's message catalogues; `?lang=` picks one for `<html lang>`. */
export const LANGUAGES = ['en', 'ca', 'cs', 'de', 'es', 'fr', 'it', 'nl', 'pl', 'pt-BR', 'pt-PT'];

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );
}

/** The page's language: a catalogue language from `?lang=`, else English. */
export function pageLanguage(query: unknown): string {
  return typeof query === 'string' && LANGUAGES.includes(query) ? query : 'en';
}

/** A link that keeps the page's language. */
export function link(path: string, lang: string): string {
  return lang === 'en' ? path : `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
}

interface Layout {
  title: string;
  lang: string;
  /** The signed-in user, for protected pages. */
  user?: string;
  /** Tags of the browser client: the slot every protected page keeps for it. */
  clientTags?: string;
  main: string;
}

function layout({ title, lang, user, clientTags = '', main }: Layout): string {
  const nav = user
    ? `<nav>
      <a href="${link('/', lang)}">Home</a>
      <a href="${link('/second', lang)}">Second page</a>
      <a href="${link('/form', lang)}">Form</a>
      <a href="${link('/sessions', lang)}">Sessions</a>
      <a href="${link('/password', lang)}">Change password</a>
      <a href="${link('/settings', lang)}">Settings</a>
      <a href="${link('/audit', lang)}">Audit</a>
      <span>Signed in as <strong>${escapeHtml(user)}</strong></span>
      <form method="post" action="/logout"><button type="submit">Sign out</button></form>
    </nav>`
    : '';
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · session-security demo</title>
  <link rel="stylesheet" href="/demo.css">
  ${clientTags}
</head>
<body>
  <header><p class="brand">session-security demo</p>${nav}</header>
  <main>
${main}
  </main>
</body>
</html>
`;
}

const NOTICES: Record<string, string> = {
  idle: 'You were signed out after a period of inactivity. Please sign in again.',
  absolute: 'Your session reached its time limit. Please sign in again.',
  revoked: 'You were signed out from another browser or device. Please sign in again.',
  lost: 'You were signed out because the server lost your session (not because you were idle). Your unsaved work is kept. Please sign in again.',
};

export function loginPage(options: {
  lang: string;
  next: string | undefined;
  reason: unknown;
  error?: string;
  username?: string;
}): string {
  // Own keys only: `?reason=constructor` must not find Object.prototype.constructor.
  const reason = options.reason;
  const notice =
    typeof reason === 'string' && Object.hasOwn(NOTICES, reason) ? NOTICES[reason] : undefined;
  const action = link('/login', options.lang);
  return layout({
    title: 'Sign in',
    lang: options.lang,
    main: `    <h1>Sign in</h1>
    ${notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''}
    ${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
    <form method="post" action="${escapeHtml(action)}">
      <input type="hidden" name="next" value="${escapeHtml(options.next ?? '')}">
      <label>Username <input name="username" autocomplete="username" required value="${escapeHtml(options.username ?? '')}"></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>
    <p class="hint">Use <kbd>demo</kbd> / <kbd>demo</kbd> (or <kbd>guest</kbd> / <kbd>guest</kbd>;
    <kbd>admin</kbd> / <kbd>admin</kbd> gets a shorter idle timeout).</p>`,
  });
}

interface ProtectedPage {
  lang: string;
  user: string;
  clientTags: string;
  /** This sign-in's idle timeout (seconds), fixed when it started. */
  expireAfter: number;
  /** This sign-in's warning time (seconds). */
  warnAfter: number;
}

export function homePage(page: ProtectedPage): string {
  return layout({
    ...page,
    title: 'Home',
    main: `    <h1>Welcome, ${escapeHtml(page.user)}</h1>
    <p>This session ends after <strong>${page.expireAfter} s</strong> without activity; the browser warns after <strong>${page.warnAfter} s</strong>.
    Leave this tab alone to see it, or open the <a href="${link('/second', page.lang)}">second page</a> in another tab: both share one clock.</p>
    <p>These times belong to this sign-in, fixed when you signed in: choose others in <a href="${link('/settings', page.lang)}">Settings</a>; they apply from your next sign-in.</p>
    <p>The page polls nothing by itself; <code>GET /api/poll</code> is marked passive, so polling it does not keep the session alive.</p>`,
  });
}

export function secondPage(page: ProtectedPage): string {
  return layout({
    ...page,
    title: 'Second page',
    main: `    <h1>Second page</h1>
    <p>Another protected page of the same session.</p>`,
  });
}

export function formPage(page: ProtectedPage & { note?: string }): string {
  const shown =
    page.note === undefined
      ? ''
      : `<section aria-labelledby="saved"><h2 id="saved">Your note</h2><pre>${escapeHtml(page.note)}</pre></section>`;
  return layout({
    ...page,
    title: 'Form',
    main: `    <h1>A form</h1>
    ${shown}
    <form method="post" action="${escapeHtml(link('/form', page.lang))}">
      <label for="note">Note</label>
      <textarea id="note" name="note" rows="6" cols="60"></textarea>
      <button type="submit">Save</button>
    </form>
    <h2>An upload</h2>
    <p>An upload holds the sign-in while it runs (a lease): it may outlive the idle timeout of <strong>${page.expireAfter} s</strong> with nobody at the keyboard, never the absolute timeout. Idle time counts from its end.</p>
    <form id="upload-form">
      <label for="upload-file">File</label>
      <input id="upload-file" name="file" type="file" required>
      <label for="upload-seconds">Processing time on the server (seconds)</label>
      <input id="upload-seconds" name="seconds" type="number" min="0" max="${MAX_UPLOAD_SECONDS}" value="${Math.min(MAX_UPLOAD_SECONDS, page.expireAfter + 30)}">
      <button type="submit">Upload</button>
    </form>
    <p id="upload-result" role="status"></p>
    <script src="/upload.js" defer></script>`,
  });
}

/** The longest the demo's server "processes" an upload, in seconds. */
export const MAX_UPLOAD_SECONDS = 600;

/**
 * The script of the upload: the request runs under the client's `hold`, a lease the server keeps
 * until the upload settles. Without the client, the upload is a plain fetch.
 */
export const UPLOAD_SCRIPT = `// The upload runs under sessionSecurity.hold: the sign-in is held while it runs.
const uploadForm = document.getElementById('upload-form');
const uploadResult = document.getElementById('upload-result');
uploadForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('upload-file').files[0];
  const seconds = document.getElementById('upload-seconds').value;
  const started = Date.now();
  uploadResult.textContent = 'Uploading…';
  const upload = () =>
    fetch('/upload?seconds=' + encodeURIComponent(seconds), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: file,
    });
  try {
    const security = window.sessionSecurity;
    const answer = await (security ? security.hold(upload, { label: 'upload' }) : upload());
    if (!answer.ok) throw new Error(String(answer.status));
    const { bytes } = await answer.json();
    const took = Math.round((Date.now() - started) / 1000);
    uploadResult.textContent = 'Uploaded ' + bytes + ' bytes in ' + took + ' s.';
  } catch {
    uploadResult.textContent = 'The upload failed.';
  }
});
`;

/**
 * "Change password": what matters, so the server asks for a sign-in less than `recentSignIn`
 * seconds old. With the client, the form goes by `sessionSecurity.fetch`, which asks for the
 * password again in place (the lock) and sends it once more; without, it posts, and an old
 * sign-in goes to the login page.
 */
export function passwordPage(
  page: ProtectedPage & {
    recentSignIn: number;
    /** How many passkeys the user has, with passkeys on. */
    passkeys?: number;
    notice?: string | undefined;
  },
): string {
  const passkeys =
    page.passkeys === undefined
      ? ''
      : `
    <h2>Passkeys</h2>
    <p>With a passkey, a locked page signs in again without the password. You have <strong id="passkey-count">${page.passkeys}</strong>.</p>
    <button type="button" id="add-passkey">Add a passkey</button>
    <p id="passkey-result" role="status"></p>`;
  return layout({
    ...page,
    title: 'Change password',
    main: `    <h1>Change password</h1>
    <p>Changing a password needs a sign-in less than <strong>${page.recentSignIn} s</strong> old; after that, the password is asked again, right here.</p>
    ${notices(page)}
    <form id="password-form" method="post" action="${escapeHtml(link('/password', page.lang))}">
      <label for="new-password">New password</label>
      <input id="new-password" name="newPassword" type="password" autocomplete="new-password">
      <button type="submit">Change password</button>
    </form>
    <p id="password-result" role="status"></p>${passkeys}
    <script src="/password.js" defer></script>`,
  });
}

/** The script of "Change password": its form sent through the client's `fetch`. */
export const PASSWORD_SCRIPT = `// The form goes through sessionSecurity.fetch: asked for a recent sign-in, it asks for the
// password again in place, then sends the form once more. Without the client, it posts.
const form = document.getElementById('password-form');
const result = document.getElementById('password-result');
form.addEventListener('submit', async (event) => {
  if (!window.sessionSecurity) return;
  event.preventDefault();
  result.textContent = '';
  const answer = await window.sessionSecurity.fetch(form.action, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(new FormData(form)),
  });
  result.textContent = answer.ok
    ? 'Password changed (the demo keeps its passwords).'
    : 'Not changed: the password was not asked again.';
});
// A new passkey: its options (asking for a recent sign-in first), the browser makes it, the
// server keeps it.
const add = document.getElementById('add-passkey');
const added = document.getElementById('passkey-result');
add?.addEventListener('click', async () => {
  added.textContent = '';
  const send = (url, body) =>
    (window.sessionSecurity?.fetch.bind(window.sessionSecurity) ?? fetch)(url, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  try {
    const options = await send('/passkeys/options', {});
    if (!options.ok) throw new Error('no options');
    const credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(await options.json()),
    });
    const answer = await send('/passkeys', credential.toJSON());
    if (!answer.ok) throw new Error('refused');
    document.getElementById('passkey-count').textContent = String((await answer.json()).passkeys);
    added.textContent = 'Passkey added: a locked page now offers it.';
  } catch {
    added.textContent = 'No passkey was added.';
  }
});
`;

/** A time for people (UTC, to the second), with its machine-readable form. */
function timeTag(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`;
}

function notices(page: { notice?: string | undefined; error?: string | undefined }): string {
  return [
    page.notice ? `<p class="notice" role="status">${escapeHtml(page.notice)}</p>` : '',
    page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>` : '',
  ].join('\n    ');
}

export function settingsPage(
  page: ProtectedPage & {
    /** The idle timeouts this user may choose (seconds), longest first. */
    choices: number[];
    /** The longest this user may choose. */
    bound: number;
    /** What the next sign-in gets. */
    next: number;
    notice?: string;
    error?: string;
  },
): string {
  const choices = page.choices
    .map(
      (seconds) =>
        `<label><input type="radio" name="expireAfter" value="${seconds}"${seconds === page.next ? ' checked' : ''} required> ${seconds} s</label>`,
    )
    .join('\n        ');
  return layout({
    ...page,
    title: 'Settings',
    main: `    <h1>Settings</h1>
    ${notices(page)}
    <p>This sign-in: signed out after <strong id="current-expire-after">${page.expireAfter} s</strong> without activity (warning after ${page.warnAfter} s).
    Your next sign-in: <strong id="next-expire-after">${page.next} s</strong>.</p>
    <form method="post" action="${escapeHtml(link('/settings', page.lang))}">
      <fieldset>
        <legend>Idle timeout</legend>
        ${choices}
      </fieldset>
      <button type="submit">Save</button>
    </form>
    <p class="hint">The idle timeout is evaluated when you sign in: a new choice applies from your next sign-in, never to the one you are using.
    You may choose at most <strong>${page.bound} s</strong>: the demo's idle timeout, or half of it for an admin. Choices are kept in memory until the demo restarts.</p>`,
  });
}

/** One of the user's sign-ins, as `security.signIns.list(req)` gives it. */
export interface SignInRow {
  signIn: string;
  startedAt: number;
  lastActiveAt: number;
  device: string;
  current: boolean;
}

export function sessionsPage(
  page: ProtectedPage & { signIns: SignInRow[]; notice?: string; error?: string },
): string {
  const rows = page.signIns
    .map((row) => {
      const action = row.current
        ? '<strong>This browser</strong>'
        : `<button type="submit" name="end" value="${escapeHtml(row.signIn)}" aria-label="${escapeHtml(`Sign out ${row.device}, active ${new Date(row.lastActiveAt).toISOString()}`)}">Sign out</button>`;
      return `<tr${row.current ? ' class="current"' : ''}>
          <td>${escapeHtml(row.device)}</td>
          <td>${timeTag(row.startedAt)}</td>
          <td>${timeTag(row.lastActiveAt)}</td>
          <td>${action}</td>
        </tr>`;
    })
    .join('\n        ');
  const others = page.signIns.some((row) => !row.current);
  return layout({
    ...page,
    title: 'Sessions',
    main: `    <h1>Your sessions</h1>
    ${notices(page)}
    <form method="post" action="${escapeHtml(link('/sessions', page.lang))}">
      <!-- The default button, disabled: Enter in the password field ends nothing; the user picks a button. -->
      <button type="submit" disabled hidden aria-hidden="true"></button>
      <table>
        <caption>Where you are signed in, most recently active first</caption>
        <thead><tr><th scope="col">Device</th><th scope="col">Started</th><th scope="col">Last active</th><th scope="col">Action</th></tr></thead>
        <tbody>
        ${rows}
        </tbody>
      </table>
      ${
        others
          ? `<label>Your password, to confirm <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit" name="end" value="others">Sign out everywhere else</button>`
          : '<p>You are signed in nowhere else.</p>'
      }
    </form>
    <p class="hint">Your password is asked again before any session ends (OWASP ASVS V7.5.2). A browser signed out here goes to the login page at its next check with the server.</p>`,
  });
}

/** The fields of an event that its own columns do not show, as `name=value`. */
function eventDetails(event: SessionSecurityEvent): string {
  const { at: _at, type: _type, signIn: _signIn, userId: _userId, data, ...rest } = event;
  const entries = Object.entries(rest).map(([name, value]) =>
    name === 'endedAt' && typeof value === 'number'
      ? `${name}=${new Date(value).toISOString()}`
      : `${name}=${String(value)}`,
  );
  for (const [name, value] of Object.entries(data ?? {})) entries.push(`data.${name}=${value}`);
  return entries.join(', ');
}

/** The lines of the trace the /audit page shows: the newest. */
const TRACE_SHOWN = 100;

export function auditPage(
  page: ProtectedPage & {
    events: readonly SessionSecurityEvent[];
    everyone: boolean;
    refused?: RefusedCounts | undefined;
    /** The trace and the events of sign-ins, oldest first. */
    trace?: readonly SessionSecurityEvent[];
  },
): string {
  const traceLines = (page.trace ?? [])
    .slice(-TRACE_SHOWN)
    .map((event) => `<li><code>${escapeHtml(describeEvent(event))}</code></li>`)
    .join('\n      ');
  const trace = `<h2 id="trace">Why: the trace</h2>
    <p>What each request did to the sign-in's clock and why (a request, a ping, a lease, a passive rule), with the sign-in's other events, oldest first: the answer to “why was I signed out?” and “why was I not?”. The library writes the same lines to the demo's log.</p>
    <ol class="trace">
      ${traceLines || '<li>Nothing traced yet.</li>'}
    </ol>`;
  const refused = page.refused
    ? `<p>Refused requests, counted once a minute (the latest count, ${timeTag(page.refused.at)}):</p>
    <ul>${Object.entries(page.refused.counts)
      .map(([key, count]) => `<li><code>${escapeHtml(key)}</code>: ${count}</li>`)
      .join('')}</ul>`
    : '';
  const rows = page.events
    .map(
      (event) => `<tr>
          <td>${timeTag(event.at)}</td>
          <td>${escapeHtml(event.type)}</td>
          <td>${escapeHtml(event.userId ?? '')}</td>
          <td>${event.signIn ? `<code title="sign-in marker, shortened">${escapeHtml(event.signIn.slice(0, 8))}…</code>` : ''}</td>
          <td>${escapeHtml(eventDetails(event))}</td>
        </tr>`,
    )
    .join('\n        ');
  return layout({
    ...page,
    title: 'Audit',
    main: `    <h1>Audit trail</h1>
    <p>The newest session events first, as <code>onEvent</code> reported them (each is also one <code>audit {json}</code> line in the demo's log).
    ${page.everyone ? 'As an admin you see every user’s events.' : 'You see your own events; an admin sees everyone’s.'}
    The sign-in marker is the opaque id of a sign-in, never the session id.</p>
    <table>
      <caption>Recent events</caption>
      <thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">User</th><th scope="col">Sign-in</th><th scope="col">Details</th></tr></thead>
      <tbody>
        ${rows || '<tr><td colspan="5">No events yet.</td></tr>'}
      </tbody>
    </table>
    ${refused}
    ${trace}`,
  });
}

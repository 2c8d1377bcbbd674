// The demo's HTML pages: plain strings with every value escaped, no inline script or style,
// so the strict Content-Security-Policy holds.

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
function link(path: string, lang: string): string {
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
    <p class="hint">Use <kbd>demo</kbd> / <kbd>demo</kbd>.</p>`,
  });
}

interface ProtectedPage {
  lang: string;
  user: string;
  clientTags: string;
  expireAfter: number;
  warnAfter: number;
}

export function homePage(page: ProtectedPage): string {
  return layout({
    ...page,
    title: 'Home',
    main: `    <h1>Welcome, ${escapeHtml(page.user)}</h1>
    <p>This session ends after <strong>${page.expireAfter} s</strong> without activity; the browser warns after <strong>${page.warnAfter} s</strong>.
    Leave this tab alone to see it, or open the <a href="${link('/second', page.lang)}">second page</a> in another tab: both share one clock.</p>
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
    </form>`,
  });
}

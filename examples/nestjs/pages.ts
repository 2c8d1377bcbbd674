// The example's pages, as HTML strings.

/** Why the login page was reached: the `reason` the expired page's client or the sign-out gives. */
const REASONS: Record<string, string> = {
  idle: 'You were signed out after a period of inactivity.',
  absolute: 'Your session reached its time limit. Please sign in again.',
  logout: 'You signed out.',
  revoked: 'This session was ended from another device.',
};

export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function loginPage({
  next,
  reason,
  failed,
}: {
  next: string;
  reason: unknown;
  failed: boolean;
}): string {
  // Own keys only: `?reason=constructor` must not find Object.prototype.constructor.
  const why = typeof reason === 'string' && Object.hasOwn(REASONS, reason) ? REASONS[reason] : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in</h1>
${why ? `<p role="status">${why}</p>` : ''}
${failed ? '<p role="alert">Unknown user: sign in as ada, with any password.</p>' : ''}
<form method="post" action="/login">
  <input type="hidden" name="next" value="${escapeHtml(next)}">
  <label>Username <input name="username" autocomplete="username" value="ada" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button>Sign in</button>
</form>
</body></html>`;
}

/** The signed-in page; `head` is the library's client (its dialog, one clock for all tabs). */
export function homePage({ user, head }: { user: string; head: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Home</title>${head}</head><body>
<h1>Signed in as <span id="user">${escapeHtml(user)}</span></h1>
<p>Notifications checked <span id="polls">0</span> times: a passive poll, it keeps nothing alive.</p>
<p><button id="save" type="button">Save</button> <span id="saved" role="status"></span></p>
<form method="post" action="/logout"><button>Sign out</button></form>
<script>
  // A badge count, polled every 2 s: @Passive() on its handler, so the session still expires.
  let polls = 0;
  setInterval(async () => {
    const answer = await fetch('/api/notifications');
    if (answer.ok) await answer.json();
    document.getElementById('polls').textContent = String(++polls);
  }, 2000);
  // Saving is the user's work: the server counts the request as activity.
  document.getElementById('save').addEventListener('click', async () => {
    const answer = await fetch('/api/save', { method: 'POST' });
    const body = answer.ok ? await answer.json() : undefined;
    document.getElementById('saved').textContent = body ? 'Saved at ' + body.savedAt : 'Not saved';
  });
</script>
</body></html>`;
}

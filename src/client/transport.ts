// Talks to the server's routes with fetch: one JSON request, its status code and JSON body.
// Interpreting the answer is the caller's; a network failure or a body that is not JSON is an Error
// that answers code 0 and an empty body.

export interface Answer {
  code: number;
  body: Record<string, unknown>;
}

/**
 * Sends one request to a route of session-security, naming the page's sign-in (the `session`
 * of its config). It marks itself passive (it never counts as activity) and sends JSON, which the server requires of a ping POST so that a cross-site
 * form cannot forge one.
 */
export async function send(
  url: string,
  method: 'GET' | 'POST',
  signIn: string,
  json?: Record<string, unknown> | false,
): Promise<Answer | (Error & Answer)> {
  try {
    // Same-origin credentials are fetch's default; the server answers `no-store`, so no cache.
    const response = await fetch(url, {
      method,
      // The page's sign-in: once it has ended, an anonymous answer says whether it was signed out.
      headers: {
        'content-type': 'application/json',
        'x-session-security': 'passive',
        'x-session-security-sign-in': signIn,
      },
      body: json ? JSON.stringify(json) : null,
    });
    return { code: response.status, body: await response.json() };
  } catch (error) {
    return Object.assign(error as Error, { code: 0, body: {} });
  }
}

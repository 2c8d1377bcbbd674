// Talks to the server's ping protocol (DESIGN §3.1) with fetch. Turns every answer into a
// result the client acts on; a network failure or an unexpected answer is an error.

/** What the server answered, with times already in milliseconds. */
export type PingResult =
  | {
      kind: 'active';
      idleMs: number;
      warnInMs: number;
      expireInMs: number;
      absolute: boolean;
      session: string;
    }
  | { kind: 'ended'; reason: string }
  | { kind: 'error'; error: Error };

/**
 * Sends one ping. The ping marks itself passive (it never counts as activity) and sends
 * JSON, which the server requires of a POST so a cross-site form cannot forge one.
 */
export async function ping(
  url: string,
  method: 'GET' | 'POST',
  sinceActivitySeconds?: number,
): Promise<PingResult> {
  try {
    const response = await fetch(url, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'content-type': 'application/json', 'x-session-security': 'passive' },
      body: method === 'POST' ? JSON.stringify({ sinceActivity: sinceActivitySeconds ?? 0 }) : null,
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === 200 && body.status === 'active') {
      const seconds = (key: string) => Number(body[key]) * 1000;
      return {
        kind: 'active',
        idleMs: seconds('idleFor'),
        warnInMs: seconds('warnIn'),
        expireInMs: seconds('expireIn'),
        absolute: body.absolute === true,
        session: String(body.session),
      };
    }
    if (response.status === 401 || body.status === 'anonymous') {
      return { kind: 'ended', reason: typeof body.reason === 'string' ? body.reason : '' };
    }
    return { kind: 'error', error: new Error(`ping answered ${response.status}`) };
  } catch (error) {
    return { kind: 'error', error: error as Error };
  }
}

/** Ends the session on the server (`POST {prefix}/logout`). */
export async function logout(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
    });
    return response.ok;
  } catch {
    return false;
  }
}

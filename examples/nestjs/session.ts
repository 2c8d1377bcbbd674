// What the example reads of a request, the same on both platforms: express-session and
// @fastify/session both put the session on `req.session`, with the user as a property and a
// callback-style `regenerate`.

/** A request with its session, as either session library leaves it. */
export interface SessionRequest {
  session: {
    user?: string;
    regenerate(done: (error?: unknown) => void): void;
  };
}

/** The signed-in user's name, or undefined for an anonymous visitor. */
export function userOf(req: SessionRequest): string | undefined {
  const user = req.session?.user;
  return typeof user === 'string' ? user : undefined;
}

/** A new session id at sign-in, so that an id planted before it is worth nothing. */
export function regenerate(req: SessionRequest): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((error) => (error ? reject(error) : resolve())),
  );
}

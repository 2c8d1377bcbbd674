// A complete adapter for plain node:http on session-security/adapter, run by the conformance suite.
import type { IncomingMessage } from 'node:http';
import type { SessionSecurityOptions } from 'session-security';
import type { Reply, SessionAccess } from 'session-security/adapter';
import { appMethods, createLifecycle, nodeRequestFacts } from 'session-security/adapter';

/** A request's session: `data` saved at its end; `destroy` also clears its cookie. */
export interface NodeSession {
  readonly id: string;
  readonly data: Record<string, unknown>;
  destroy(): Promise<void>;
  regenerate(): Promise<void>;
}

/** A request with its session; none when the session layer could not load it (503). */
export interface SessionRequest extends IncomingMessage {
  session?: NodeSession | undefined;
}

type Options = SessionSecurityOptions<SessionRequest> & { trustProxy?: boolean };

/** The session of one request, as the lifecycle reads and ends it. */
class Access implements SessionAccess {
  constructor(
    private readonly req: SessionRequest,
    private readonly options: Options,
  ) {}
  exists = () => this.req.session !== undefined;
  id = () => this.req.session?.id;
  read = () => this.req.session?.data.sessionSecurity;
  write = (value: unknown) => {
    if (this.req.session) this.req.session.data.sessionSecurity = value;
  };
  clear = () => void delete this.req.session?.data.sessionSecurity;
  async end(keepSession: boolean): Promise<void> {
    const session = this.req.session;
    if (this.options.logout) await this.options.logout(this.req);
    else if (keepSession) await session?.regenerate();
    else if (session) {
      await session.destroy();
      this.req.session = undefined; // no session is left for the rest of the request
    }
    this.clear(); // whatever ended it, no clock survives
  }
}

/** The adapter: `handle` before the app's handler, `settle` after it, and the app's methods. */
export function sessionSecurity({ trustProxy, ...options }: Options) {
  const lifecycle = createLifecycle(options);
  const bind = (req: SessionRequest) => ({
    req,
    facts: nodeRequestFacts(req, { trustProxy }),
    session: new Access(req, options),
  });
  return {
    /** start, clientTags, signIns, and signOut, which resolves with the answer's headers. */
    ...appMethods(lifecycle, bind),
    /**
     * Before the app's handler: the reply to send instead of the app's answer (once the session
     * is saved), or undefined to go on to the app.
     */
    async handle(req: SessionRequest): Promise<Reply | undefined> {
      const { facts, session } = bind(req);
      const outcome = await lifecycle.handle(facts, session);
      return outcome.kind === 'next' ? undefined : outcome;
    },
    /** After the app's handler, before the session is saved: a sign-in made without start(). */
    async settle(req: SessionRequest): Promise<void> {
      const { facts, session } = bind(req);
      if (lifecycle.settles(session)) await lifecycle.settle(facts, session);
    },
  };
}

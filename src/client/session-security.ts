// The browser client: one clock for all tabs, kept in step with the server through the ping,
// a warning before expiry and every tab to the login page after it. Wires schedule, tabs,
// transport and dialog together; the decisions are schedule.ts's.

import { coverPage, createDialog, type WarningDialog } from './dialog.js';
import { en, type Messages } from './messages.js';
import { type Plan, plan, reportMarginMs, type ServerStatus } from './schedule.js';
import {
  type Channel,
  joinElection,
  type Leadership,
  openChannel,
  type TabMessage,
} from './tabs.js';
import { logout, ping } from './transport.js';
import { guardUnsavedForms } from './unsaved.js';

/** The client's options: what the server's HTML helper writes into the page's config. Times in seconds. */
export interface ClientOptions {
  /** `{prefix}/ping`. */
  pingUrl: string;
  /** `{prefix}/logout`. */
  logoutUrl: string;
  /** Where tabs go on expiry, with `next` and `reason`; without it they reload. */
  loginUrl?: string;
  expireAfter: number;
  warnAfter: number;
  /** The server's status when it rendered the page: the page's clock starts from it, not from its load. */
  idleFor: number;
  warnIn: number;
  expireIn: number;
  absolute?: boolean;
  /** The server's marker of this sign-in; an answer with another means signed out. */
  session: string;
  /** The page's language, for `Intl` durations and times. Default `<html lang>` or `en`. */
  lang?: string;
  /** The page's catalogue; English fills in what is missing. */
  messages?: Partial<Messages>;
  /** `false` for headless mode: no dialog, only events. Default true. */
  ui?: boolean;
  /** The input events that count as activity. */
  events?: readonly string[];
  /** The clock, for tests. */
  now?: () => number;
}

export type ClientState = 'active' | 'warning' | 'expired' | 'stopped';

const DEFAULT_EVENTS = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'scroll', 'touchstart'];
const WAKE_EVENTS = ['visibilitychange', 'focus', 'pageshow', 'online', 'resume'];
const CHANNEL = 'session-security';
const MAX_BACKOFF_MS = 30_000;

/**
 * The browser half of session-security.
 *
 * Events: `warn`, `extend`, `expire` (cancelable: `preventDefault()` keeps the page where it
 * is), `activity`, `sync`, `error`.
 *
 * @example
 * ```ts
 * const config = JSON.parse(document.getElementById('session-security-config')!.textContent!);
 * const security = new SessionSecurity({ ...config, ui: false }).start();
 * security.addEventListener('warn', () => showMyOwnDialog());
 * ```
 */
export class SessionSecurity extends EventTarget {
  readonly #o: ClientOptions;
  readonly #now: () => number;
  readonly #messages: Messages;
  #status: ServerStatus;
  #state: ClientState = 'stopped';
  #lastInput = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = false;
  #failures = 0;
  #pingNotBefore = 0;
  #dismissed = false;
  #leaving = false;
  #jitter = Math.random();
  #channel: Channel | undefined;
  #lead: Leadership | undefined;
  #dialog: WarningDialog | undefined;
  #cleanups: (() => void)[] = [];
  #plan: Plan | undefined;

  constructor(options: ClientOptions) {
    super();
    for (const key of ['expireAfter', 'warnAfter', 'idleFor', 'warnIn', 'expireIn'] as const) {
      if (!Number.isFinite(options[key])) {
        throw new TypeError(
          `session-security: ${key} (${options[key]}) must be a number of seconds`,
        );
      }
    }
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#messages = { ...en, ...options.messages };
    const at = this.#now();
    this.#status = {
      at,
      idleMs: options.idleFor * 1000,
      warnInMs: options.warnIn * 1000,
      expireInMs: options.expireIn * 1000,
      absolute: options.absolute === true,
    };
  }

  /** `active`, `warning` (the warning is showing), `expired` (leaving for the login page) or `stopped`. */
  get state(): ClientState {
    return this.#state;
  }

  /** Starts tracking input, talking to the other tabs and scheduling. */
  start(): this {
    if (this.#state !== 'stopped') return this;
    this.#state = 'active';
    const listen = (target: EventTarget, names: readonly string[], handler: (e: Event) => void) => {
      for (const name of names)
        target.addEventListener(name, handler, { capture: true, passive: true });
      this.#cleanups.push(() => {
        for (const name of names) target.removeEventListener(name, handler, { capture: true });
      });
    };
    listen(window, this.#o.events ?? DEFAULT_EVENTS, (event) => this.#input(event));
    listen(document, WAKE_EVENTS, (event) => this.wake(event));
    listen(window, WAKE_EVENTS, (event) => this.wake(event));
    this.#cleanups.push(guardUnsavedForms(() => this.#leaving));
    if (this.#o.ui !== false) {
      const lang = this.#o.lang || document.documentElement.lang || 'en';
      this.#dialog = createDialog(
        this.#messages,
        lang,
        {
          stay: () => void this.extend(),
          signOut: () => void this.signOut(),
          dismiss: () => this.#dismiss(),
        },
        this.#now,
      );
    }
    this.#channel = openChannel(CHANNEL, (message) => this.#receive(message));
    // This page's load reached the server: its status is news to the other tabs.
    this.#channel.post({ t: 'status', status: this.#status, session: this.#o.session });
    this.#channel.post({ t: 'hello' });
    this.#lead = joinElection(CHANNEL, () => this.#evaluate());
    if (document.visibilityState === 'visible') this.#lead.claim();
    this.#evaluate();
    return this;
  }

  /** Stops everything this client started; the page stays as it is. */
  stop(): void {
    if (this.#state !== 'expired') this.#state = 'stopped';
    clearTimeout(this.#timer);
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#channel?.close();
    this.#lead?.release();
    this.#dialog?.remove();
  }

  /** Extends the session, as "Stay signed in" does: a deliberate action, so it counts as input. */
  async extend(): Promise<void> {
    if (this.#state === 'expired' || this.#state === 'stopped') return;
    this.#record(this.#now());
    this.#failures = 0;
    this.#pingNotBefore = 0;
    await this.#ping('POST');
  }

  /** Signs out now (`POST {prefix}/logout`), then every tab goes to the login page. */
  async signOut(): Promise<void> {
    if (this.#state === 'expired' || this.#state === 'stopped') return;
    await logout(this.#o.logoutUrl);
    this.#end('logout', true);
  }

  /**
   * Plans again now, as after `visibilitychange`, `focus`, `pageshow`, `online` or `resume`:
   * timers may have slept (a hidden tab, a frozen tab, a laptop lid).
   */
  wake(event?: Event): void {
    if (this.#state === 'expired' || this.#state === 'stopped') return;
    if (event?.type === 'visibilitychange' && document.visibilityState === 'visible') {
      this.#lead?.claim();
    }
    if (event?.type === 'online') this.#pingNotBefore = 0;
    // A page restored from the back-forward cache asks the server before anything else.
    if ((event as PageTransitionEvent | undefined)?.persisted) void this.#ping('GET');
    else this.#evaluate();
  }

  #emit(type: string, detail?: unknown, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent(type, { detail, cancelable }));
  }

  #input(event: Event): void {
    // Only the user's own input in a page they can see; the open warning ignores input:
    // only a deliberate action extends.
    if (!event.isTrusted || this.#state !== 'active' || document.visibilityState === 'hidden') {
      return;
    }
    const now = this.#now();
    if (now - this.#lastInput < 1000) return;
    this.#record(now);
    this.#emit('activity');
    this.#evaluate();
  }

  #record(at: number): void {
    this.#lastInput = at;
    this.#channel?.post({ t: 'input', at });
  }

  #receive(message: TabMessage): void {
    if (this.#state === 'expired' || this.#state === 'stopped') return;
    if (message.t === 'hello') {
      this.#channel?.post({ t: 'status', status: this.#status, session: this.#o.session });
      if (this.#lastInput) this.#channel?.post({ t: 'input', at: this.#lastInput });
      return;
    }
    if (message.t === 'input' && message.at > this.#lastInput) this.#lastInput = message.at;
    if (message.t === 'dismiss') this.#dismissed = true;
    if (message.t === 'end' || message.t === 'status') {
      // Another sign-in's news means this one is over: the browser has one session cookie.
      if (message.session !== this.#o.session || message.t === 'end') {
        this.#end(
          message.t === 'end' && message.session === this.#o.session ? message.reason : '',
          false,
        );
        return;
      }
      if (message.status.at <= this.#status.at) return;
      this.#status = message.status;
      this.#recovered();
    }
    this.#emit('sync', message);
    this.#evaluate();
  }

  #dismiss(): void {
    this.#dismissed = true;
    this.#channel?.post({ t: 'dismiss' });
    this.#evaluate();
  }

  /** How long this tab lets a deadline pass before acting itself: the leader not at all. */
  #grace(): number {
    const lead = this.#lead;
    if (lead?.isLeader()) return 0;
    const graceMs = reportMarginMs(this.#o.warnAfter * 1000) / 2;
    // Without an elected leader, visible tabs go first, each at its own moment.
    if (lead?.elected === false && document.visibilityState === 'visible') {
      return (graceMs * this.#jitter) / 4;
    }
    return graceMs * (1 + this.#jitter / 4);
  }

  #evaluate(): void {
    if (this.#state === 'expired' || this.#state === 'stopped') return;
    clearTimeout(this.#timer);
    const now = this.#now();
    const next = plan({
      now,
      status: this.#status,
      lastInput: this.#lastInput,
      warnAfterMs: this.#o.warnAfter * 1000,
      expireAfterMs: this.#o.expireAfter * 1000,
      graceMs: this.#grace(),
      pingNotBefore: this.#pingNotBefore,
    });
    this.#plan = next;
    const warning = next.warning && !(next.absolute && this.#dismissed);
    if (!next.warning) this.#dismissed = false;
    if (warning !== (this.#state === 'warning')) {
      this.#state = warning ? 'warning' : 'active';
      if (warning) {
        this.#dialog?.show(next.expireAt, next.absolute);
        this.#emit('warn', { expireAt: next.expireAt, absolute: next.absolute });
      } else {
        this.#dialog?.hide();
        // A dismissed absolute notice extends nothing.
        if (!next.warning) this.#emit('extend');
      }
    }
    coverPage(this.#failures > 0 && now >= next.expireAt, this.#messages);
    if (next.ping && !this.#inFlight) {
      void this.#ping(next.ping);
      return;
    }
    this.#timer = setTimeout(() => this.#evaluate(), Math.max(0, next.wakeAt - now));
  }

  async #ping(method: 'GET' | 'POST'): Promise<void> {
    if (this.#inFlight) return;
    this.#inFlight = true;
    const sentAt = this.#now();
    const since = method === 'POST' ? Math.max(0, sentAt - this.#lastInput) / 1000 : undefined;
    const result = await ping(this.#o.pingUrl, method, since);
    this.#inFlight = false;
    if (this.#state === 'expired' || this.#state === 'stopped') return;
    if (result.kind === 'ended') {
      // Another tab's request may have ended the session first: then the server sees only an
      // anonymous visitor, and the reason is this page's own passed deadline.
      const last = this.#plan;
      const passed = last !== undefined && this.#now() >= last.expireAt;
      this.#end(result.reason || (passed ? (last.absolute ? 'absolute' : 'idle') : ''), true);
    } else if (result.kind === 'error') {
      this.#failures++;
      this.#pingNotBefore = this.#now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.#failures);
      this.#emit('error', result.error);
    } else if (result.session !== this.#o.session) {
      this.#end('', true);
    } else {
      const { idleMs, warnInMs, expireInMs, absolute } = result;
      this.#status = { at: this.#now(), idleMs, warnInMs, expireInMs, absolute };
      this.#channel?.post({ t: 'status', status: this.#status, session: this.#o.session });
      this.#recovered();
    }
    this.#evaluate(); // does nothing once the page has ended
  }

  #recovered(): void {
    this.#failures = 0;
    this.#pingNotBefore = 0;
  }

  /** Ends this page: every tab goes to the login page with `next` and the server's reason. */
  #end(reason: string, tellOthers: boolean): void {
    if (this.#state === 'expired') return;
    if (tellOthers) this.#channel?.post({ t: 'end', reason, session: this.#o.session });
    this.stop();
    this.#state = 'expired';
    if (!this.#emit('expire', { reason }, true)) return;
    this.#leaving = true;
    const { loginUrl } = this.#o;
    if (!loginUrl) {
      location.reload();
      return;
    }
    const url = new URL(loginUrl, location.href);
    url.searchParams.set('next', location.pathname + location.search);
    if (reason) url.searchParams.set('reason', reason);
    location.assign(url.href);
  }
}

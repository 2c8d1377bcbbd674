// The client's wiring, kept in one closure (local names minify to a letter, which keeps the
// script small): input, tabs, pings, dialog and expiry around the pure plan of schedule.ts. The
// dialog's code comes from outside (DialogLoader): bundled, or fetched when a warning is near.

import { type ClientMessages, enClient } from '../contract/messages.js';
import type { ClientOptions, LockConfig } from '../contract/page-config.js';
import { coverPage } from './cover.js';
import type { DialogFactory, WarningDialog } from './dialog.js';
import { forgetDrafts } from './draft-store.js';
import type { LockFactory, PageLock } from './lock.js';
import { dialogAskAt, type Plan, plan, reportMarginMs, type ServerStatus } from './schedule.js';
import {
  type Channel,
  joinElection,
  type Leadership,
  openChannel,
  type TabMessage,
} from './tabs.js';
import { send } from './transport.js';
import { guardUnsavedForms } from './unsaved.js';

export type { ClientOptions, DraftsConfig } from '../contract/page-config.js';

export type ClientState = 'active' | 'warning' | 'locked' | 'expired' | 'stopped';

/** Dispatches a client event; returns false when a listener cancelled it. */
export type Emit = (type: string, detail?: unknown, cancelable?: boolean) => boolean;

/**
 * Hands the engine the dialog's factory through `ready`: at once where the dialog is bundled, or
 * once its script arrived (the prebuilt client). Asked only by a client with a UI, first a minute
 * before a warning is due, then, until `ready` is called, at most every few seconds.
 */
export type DialogLoader = (ready: (factory: DialogFactory) => void) => void;

/** Hands the engine the lock's factory (the `lock` option), as {@link DialogLoader} does the dialog's. */
export type LockLoader = (ready: (factory: LockFactory) => void) => void;

export interface Engine {
  start(): void;
  stop(): void;
  extend(): Promise<void>;
  signOut(): Promise<void>;
  wake(event?: Event): void;
  state(): ClientState;
  reauthenticate(): Promise<boolean>;
}

// Only what a person does: a page (or a hostile opener setting a popup's fragment) causes trusted
// scroll, *over and *enter events with nobody there, and isTrusted does not tell them apart.
const MOVE = 'pointermove';
const DEFAULT_EVENTS = ['keydown', 'pointerdown', MOVE, 'wheel', 'touchstart'];
/** Events that only a person's hand causes; any other in the `events` option is warned about. */
const PERSON_EVENTS =
  /^(key(down|up)|(pointer|mouse)(down|up|move)|wheel|touch(start|move|end)|click)$/;
const WAKE_EVENTS = 'visibilitychange focus pageshow online resume'.split(' ');
const CHANNEL = 'session-security';
const MAX_BACKOFF_MS = 30_000;
/** The times that the config and every ping answer carry, in seconds. */
const TIMES = ['expireAfter', 'warnAfter', 'idleFor', 'warnIn', 'expireIn'] as const;

/** The first of TIMES that is not a finite number in `source`. */
const invalidTime = (source: object) =>
  TIMES.find((key) => !Number.isFinite((source as Record<string, unknown>)[key]));

/**
 * Builds the engine behind `SessionSecurity`; without `loadDialog` it shows nothing (as with
 * `ui: false`).
 *
 * @throws TypeError when a time of the options is not a finite number
 */
export function createEngine(
  // The clock is taken out: the status, posted to the other tabs, starts as a copy of the options.
  { now = Date.now, ...options }: ClientOptions,
  emit: Emit,
  loadDialog?: DialogLoader,
  loadLock?: LockLoader,
): Engine {
  const bad = invalidTime(options);
  if (bad) {
    throw new TypeError(`session-security: ${bad} (${options[bad]}) must be a number of seconds`);
  }
  const messages: ClientMessages = { ...enClient, ...options.messages };
  const events = options.events ?? DEFAULT_EVENTS;
  const warnAfterMs = options.warnAfter * 1000;
  const expireAfterMs = options.expireAfter * 1000;
  let mySession = options.session;
  // The lock: on expiry this page is kept behind it for the same user (told by the drafts key).
  const lockable = options.lock && options.drafts && loadLock;
  const userKey = options.drafts?.key;
  let pageLock: PageLock | undefined;
  let lockAsked = -Infinity;
  // The callers of reauthenticate() waiting for the lock's answer.
  const waiting: ((signedIn: boolean) => void)[] = [];
  /** Tells the callers of reauthenticate() whether the user signed in again. */
  const answerWaiting = (signedIn: boolean) => {
    for (const resolve of waiting.splice(0)) resolve(signedIn);
  };
  // The page's config is the server's status when it rendered the page.
  let status: ServerStatus = { ...options, at: now() };
  let state: ClientState = 'stopped';
  let lastInput = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;
  let failures = 0;
  let pingNotBefore = 0;
  let dismissed = false;
  let leaving = false;
  let lastPlan: Plan | undefined;
  // The warning's dialog once its factory came, and when this tab last asked for it.
  let dialog: WarningDialog | undefined;
  let dialogAsked = -Infinity;
  const ui = options.ui !== false && loadDialog;
  const jitter = Math.random();
  let channel: Channel | undefined;
  let lead: Leadership | undefined;
  // Aborted by stop(): removes every listener start() added.
  let listening: AbortController | undefined;

  /** Whether this client no longer acts: stopped, locked, or leaving for the login page. */
  const ended = () => state !== 'active' && state !== 'warning';
  /**
   * The cover over the page: the server cannot be reached past the deadline, or the warning is
   * due while its dialog has not come yet (its title and text, replaced by the dialog once it
   * comes). Otherwise none.
   */
  const cover = () =>
    coverPage(
      failures > 0 && lastPlan && now() >= lastPlan.expireAt
        ? messages.offline
        : state === 'warning' && ui && !dialog
          ? lastPlan?.absolute
            ? messages.absoluteTitle
            : `${messages.title} ${messages.body}`
          : undefined,
    );
  /** Tells the other tabs what this tab knows of the server. */
  const share = () => channel?.({ t: 'status', status, session: mySession });

  const record = (at: number) => {
    lastInput = at;
    channel?.({ t: 'input', at });
  };

  const onInput = (event: Event) => {
    // Only the user's own input in a page they can see; the open warning ignores input: only a
    // deliberate action extends. The warning's cover (its dialog has not come) has no button:
    // there, input is the answer.
    if (
      !event.isTrusted ||
      (state !== 'active' && (state !== 'warning' || dialog || !ui)) ||
      document.hidden
    )
      return;
    const at = now();
    if (at - lastInput < 1000) return;
    record(at);
    // A moving pointer fires dozens of events a second, all ignored for a second after this one:
    // its listener sits that second out rather than run for each. Added back with the signal of
    // stop(), a no-op once aborted; adding it twice (a late timer) keeps one, as for any listener.
    if (events.includes(MOVE)) {
      removeEventListener(MOVE, onInput, true);
      setTimeout(listen, 1000, [MOVE], onInput, listening?.signal);
    }
    emit('activity');
    evaluate();
  };

  const receive = (message: TabMessage) => {
    if (state === 'expired' || state === 'stopped') return;
    if (message.t === 'end' || message.t === 'status') {
      // Another sign-in's news means this one is over: the browser has one session cookie.
      if (message.session !== mySession) {
        return message.t === 'status' ? another(message.status) : end('', false);
      }
      if (message.t === 'end') return end(message.reason, false);
      if (message.status.at <= status.at || state === 'locked') return;
      status = message.status;
      failures = pingNotBefore = 0;
    }
    if (state === 'locked') return;
    if (message.t === 'input' && message.at > lastInput) lastInput = message.at;
    if (message.t === 'dismiss') dismissed = true;
    emit('sync', message);
    evaluate();
  };

  /** How long this tab lets a deadline pass before acting itself: the leader not at all. */
  const grace = () =>
    lead?.isLeader()
      ? 0
      : // Without an elected leader, visible tabs go first, each at its own moment.
        (reportMarginMs(warnAfterMs) / 2) *
        (lead?.elected === false && !document.hidden ? jitter / 4 : 1 + jitter / 4);

  const evaluate = (): void => {
    if (ended()) return;
    clearTimeout(timer);
    const at = now();
    lastPlan = plan({
      now: at,
      status,
      lastInput,
      warnAfterMs,
      expireAfterMs,
      graceMs: grace(),
      pingNotBefore,
    });
    const { warning: due, expireAt, absolute, ping: method, warnAt } = lastPlan;
    let { wakeAt } = lastPlan;
    // The dialog is asked for a minute before the warning, and again until it comes.
    if (ui && !dialog) {
      if (at >= dialogAskAt(warnAt, dialogAsked)) {
        dialogAsked = at;
        loadDialog(dialogReady);
        // The lock's script comes with the dialog's: it is there at expiry, even offline.
        if (lockable && !pageLock) loadLock(lockReady);
      }
      if (!dialog) wakeAt = Math.min(wakeAt, dialogAskAt(warnAt, dialogAsked));
    }
    const warning = due && !(absolute && dismissed);
    if (!due) dismissed = false;
    if (warning !== (state === 'warning')) {
      state = warning ? 'warning' : 'active';
      if (warning) {
        dialog?.show(expireAt, absolute);
        emit('warn', { expireAt, absolute });
      } else {
        dialog?.hide();
        // A dismissed absolute notice extends nothing.
        if (!due) emit('extend');
      }
    }
    cover();
    if (method && !inFlight) return void ping(method);
    // Timers take at most 2^31 - 1 ms (24.8 days); a longer delay would fire at once, so wait at
    // most 2e9 ms and plan again. A negative one (a time already passed) counts as 0. While a
    // ping is out, its answer re-plans; look again every 250 ms meanwhile (a hung server must not
    // make this a busy loop).
    timer = setTimeout(evaluate, inFlight ? 250 : Math.min(2e9, wakeAt - at));
  };

  /** `extend`: the user chose to stay, which the server records for its audit trail. */
  const ping = async (method: 'GET' | 'POST', extend?: true) => {
    if (inFlight) return;
    inFlight = true;
    const sinceActivity = Math.max(0, now() - lastInput) / 1000;
    const answer = await send(
      options.pingUrl,
      method,
      mySession,
      method === 'POST' && { sinceActivity, extend },
    );
    inFlight = false;
    if (ended()) return;
    const { code, body } = answer;
    if (code === 401) {
      // Another tab's request may have ended the session first: then the server sees only an
      // anonymous visitor, and the reason is this page's own passed deadline. So it is when the
      // server no longer has the sign-in's record ('lost'): it timed out while this page slept.
      const passed = lastPlan !== undefined && now() >= lastPlan.expireAt;
      const reason = String(body.reason || '');
      return end(
        passed && (!reason || reason === 'lost')
          ? lastPlan?.absolute
            ? 'absolute'
            : 'idle'
          : reason,
        true,
      );
    }
    if (code !== 200 || body.status !== 'active' || invalidTime(body)) {
      failures++;
      pingNotBefore = now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures);
      emit('error', answer); // the network's Error, or the server's unexpected { code, body }
    } else if (body.session !== mySession) {
      return another({ ...(body as unknown as ServerStatus), at: now() }, true);
    } else {
      status = { ...(body as unknown as ServerStatus), at: now() };
      share();
      failures = pingNotBefore = 0;
    }
    evaluate();
  };

  const stop = () => {
    const warned = state === 'warning';
    if (state !== 'expired') state = 'stopped';
    clearTimeout(timer);
    listening?.abort(); // the listeners and the channel
    lead?.release();
    dialog?.hide();
    // The warning's cover goes with the warning; a cover of the unreachable server stays.
    if (warned) cover();
  };

  /**
   * A sign-in other than this page's (the browser has one session cookie): with the lock, the
   * same user's carries this page on (another tab signed in again, or the login page did) and
   * another user's gets this page reloaded, keeping nothing of it; else this page ends.
   */
  const another = (next: ServerStatus, tellOthers?: boolean) => {
    const user = (next as { user?: unknown }).user;
    if (!lockable || !user) return end('', tellOthers === true);
    mySession = (next as { session?: string }).session as string;
    status = next;
    if (user !== userKey) {
      // The other tabs reload too; a tab's own news reaches them first.
      share();
      leaving = true;
      return location.reload();
    }
    failures = pingNotBefore = 0;
    share();
    if (state === 'locked') {
      // Signed in again: what the tab kept for its closing is not needed any more.
      forgetDrafts();
      state = 'active';
      emit('unlock');
    }
    pageLock?.hide();
    answerWaiting(true);
    evaluate();
  };

  /** Shows the lock: at once once its script came, else a cover meanwhile and its script asked for. */
  const showLock = (reauth: boolean) => {
    if (pageLock) {
      coverPage(undefined);
      return pageLock.show(reauth);
    }
    coverPage(messages.lockCover);
    const at = now();
    if (at - lockAsked > 3000) {
      lockAsked = at;
      (loadLock as LockLoader)(lockReady);
    }
    setTimeout(() => {
      if (!pageLock && (state === 'locked' || waiting[0])) showLock(reauth);
    }, 3000);
  };

  /** Makes the lock from its factory; one that comes while the page waits for it is shown. */
  const lockReady = (factory: LockFactory) => {
    pageLock ??= factory(options.messages ?? {}, {
      url: (options.lock as LockConfig).unlockUrl,
      passkey: (options.lock as LockConfig).passkey,
      session: () => mySession,
      signedIn: (body) => {
        if (invalidTime(body)) return false;
        another({ ...(body as unknown as ServerStatus), at: now() });
        return true;
      },
      leave: () => {
        // The page stays covered until the login page comes.
        pageLock?.hide();
        coverPage(messages.lockCover);
        if (state === 'locked') state = 'active';
        void signOut();
      },
      cancel: () => {
        pageLock?.hide();
        answerWaiting(false);
      },
    });
    if (state === 'locked' || waiting[0]) showLock(state !== 'locked');
  };

  /** Asks for the password again in place (before what matters); true once signed in again. */
  const reauthenticate = () =>
    new Promise<boolean>((resolve) => {
      if (!lockable || state === 'expired' || state === 'stopped') return resolve(false);
      waiting.push(resolve);
      if (state !== 'locked') showLock(true);
    });

  /** Ends this page: every tab goes to the login page with `next` and the server's reason. */
  const end = (reason: string, tellOthers: boolean) => {
    if (state === 'expired') return;
    const locks = lockable && /^(idle|absolute|lost)$/.test(reason);
    if (locks && state === 'locked') return;
    if (tellOthers) channel?.({ t: 'end', reason, session: mySession });
    if (locks) {
      // Locked in place: the channel stays open to hear of the next sign-in.
      clearTimeout(timer);
      dialog?.hide();
      state = 'locked';
      // The drafts script keeps this page's forms at `expire`, should the tab be closed.
      if (emit('expire', { reason, locked: true }, true)) showLock(false);
      return;
    }
    stop();
    state = 'expired';
    // A sign-out, here, in another tab or from elsewhere, leaves no draft in any tab to restore;
    // an expiry keeps them.
    if (reason === 'logout' || reason === 'revoked') forgetDrafts();
    if (!emit('expire', { reason }, true)) return;
    leaving = true;
    if (!options.loginUrl) return location.reload();
    const url = new URL(options.loginUrl, location.href);
    url.searchParams.set('next', location.pathname + location.search);
    if (reason) url.searchParams.set('reason', reason);
    location.assign(url.href);
  };

  const extend = async () => {
    if (ended()) return;
    record(now());
    failures = pingNotBefore = 0;
    await ping('POST', true);
  };

  /**
   * Signs out, and leaves for the login page only once the server confirmed it: until then (a
   * store that stalls, a lost connection) the page stays hidden behind a notice and the sign-out
   * is tried again, so a shared screen never shows "signed out" while the sign-in lives on.
   */
  const signOut = async () => {
    if (ended()) return;
    // No more pings, input or dialog: the user asked to leave (the channel stays open for end).
    state = 'stopped';
    clearTimeout(timer);
    dialog?.hide();
    // 200: signed out; 401: this browser holds no sign-in any more (another tab, the server).
    let waitMs = 1000;
    while (![200, 401].includes((await send(options.logoutUrl, 'POST', mySession)).code)) {
      coverPage(messages.signOutFailed);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(MAX_BACKOFF_MS, waitMs * 2);
    }
    end('logout', true);
  };

  const wake = (event?: Event) => {
    if (ended()) return;
    if (event?.type === 'visibilitychange' && !document.hidden) {
      lead?.claim();
    }
    if (event?.type === 'online') pingNotBefore = 0;
    // A page restored from the back-forward cache asks the server before anything else.
    if ((event as PageTransitionEvent | undefined)?.persisted) void ping('GET');
    else evaluate();
  };

  const dismiss = () => {
    dismissed = true;
    channel?.({ t: 'dismiss' });
    evaluate();
  };
  /** Makes the dialog from its factory; one that comes while the warning is due takes the cover's place. */
  const dialogReady = (factory: DialogFactory) => {
    dialog ??= factory(
      messages,
      options.lang || document.documentElement.lang || 'en',
      { keep: () => void extend(), leave: () => void signOut(), acknowledge: dismiss },
      now,
    );
    if (state !== 'warning' || !lastPlan) return;
    // The cover off first: the page under it (the dialog too) is hidden, and cannot take focus.
    evaluate();
    if (state === 'warning') dialog.show(lastPlan.expireAt, lastPlan.absolute);
  };

  /** Listens on window, capturing: that also hears the events fired at document (visibilitychange, resume). */
  const listen = (
    names: readonly string[],
    handler: (e: Event) => void,
    signal: AbortSignal | undefined,
  ) => {
    for (const name of names)
      addEventListener(name, handler, { capture: true, passive: true, signal });
  };

  const start = () => {
    if (state !== 'stopped' || (window.top !== window && !options.allowFrames)) return;
    state = 'active';
    listening = new AbortController();
    const { signal } = listening;
    const caused = events.filter((name) => !PERSON_EVENTS.test(name));
    if (caused[0])
      console.warn(
        `session-security: events ${caused} fire with nobody there: they keep the session alive`,
      );
    listen(events, onInput, signal);
    listen(WAKE_EVENTS, wake, signal);
    guardUnsavedForms(() => leaving, signal);
    channel = openChannel(CHANNEL, receive, signal);
    // This page's load reached the server: its status is news to the other tabs.
    share();
    lead = joinElection(CHANNEL, evaluate);
    if (!document.hidden) lead.claim();
    evaluate();
  };

  return { start, stop, extend, signOut, wake, state: () => state, reauthenticate };
}

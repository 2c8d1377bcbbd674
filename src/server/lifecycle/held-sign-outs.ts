// Sign-outs the store failed to record (Redis stalled), by marker: kept in this process, which
// refuses their sign-ins meanwhile, and tried again every second until the store answers. What
// remains: another instance knows nothing of them until then, and they are lost if this process
// dies first (the browser client, which tries the sign-out again itself, then carries it).

import type { ResolvedOptions } from '../../core/options.js';
import type { ActivityStore, SessionAccess } from '../../core/store.js';
import { unref } from '../timers.js';
import { markerIn, type Report } from './report.js';

export class HeldSignOuts {
  /** Session ids (the default store needs them) by marker. */
  private readonly held = new Map<string, string | undefined>();
  private retrying: ReturnType<typeof setInterval> | undefined;
  private running = false;

  constructor(
    private readonly store: ActivityStore,
    private readonly options: ResolvedOptions<never>,
    private readonly report: Report,
  ) {}

  /** Whether this session's sign-in was signed out while the store failed: over, whatever the store says. */
  holds(session: SessionAccess): boolean {
    if (this.held.size === 0) return false;
    const marker = markerIn(session);
    return marker !== undefined && this.held.has(marker);
  }

  /** Keeps the sign-out of this session's sign-in until the store records it. */
  hold(session: SessionAccess): void {
    const marker = markerIn(session);
    if (marker === undefined || this.held.has(marker)) return;
    this.held.set(marker, session.id());
    this.options.logger.error(
      `session-security: a sign-out could not be recorded (the store failed); this process refuses that sign-in and tries again every second (${this.held.size} waiting)`,
    );
    this.retrying ??= setInterval(() => void this.retry(), 1000);
    unref(this.retrying);
  }

  private async retry(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const [marker, sessionId] of this.held) {
        // The store needs the sign-in's marker (and the default store the session id) only.
        const held: SessionAccess = {
          exists: () => true,
          id: () => sessionId,
          read: () => ({ id: marker }),
          write: () => undefined,
          clear: () => undefined,
          end: async () => undefined,
        };
        const state = await this.store.end(held, 'logout', this.options);
        this.held.delete(marker);
        this.report.signedOut(state, 'logout');
      }
    } catch {
      // Still failing: the next round tries again.
    } finally {
      this.running = false;
      if (this.held.size === 0 && this.retrying !== undefined) {
        clearInterval(this.retrying);
        this.retrying = undefined;
      }
    }
  }
}

// The time limits of a session-store guard's operations, with one timer for all of them instead of
// one each: every operation of a guard has the same limit, so their deadlines come in the order
// they were set, and a queue with a timer for the first pending one is enough. Setting and
// clearing a timer per store call cost more than the rest of the guard on a busy server.

/** A deadline set; {@link Deadlines.cancel} it once its operation has answered. */
export interface Deadline {
  readonly at: number;
  fire: (() => void) | undefined;
}

/** A queue of deadlines, all `limitMs` after they were set. */
export class Deadlines {
  readonly #queue: Deadline[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param limitMs - how long after it is set a deadline fires
   * @param now - monotonic milliseconds
   */
  constructor(
    private readonly limitMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls `fire` in `limitMs` unless cancelled first. */
  add(fire: () => void): Deadline {
    const deadline: Deadline = { at: this.now() + this.limitMs, fire };
    this.#queue.push(deadline);
    if (this.#timer === undefined) this.#arm();
    return deadline;
  }

  cancel(deadline: Deadline): void {
    deadline.fire = undefined;
  }

  /** How many deadlines the queue holds, pending or cancelled and not dropped yet (for tests). */
  get held(): number {
    return this.#queue.length - this.#head;
  }

  /** A timer for the first pending deadline; cancelled ones before it are dropped. */
  #arm(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head]?.fire === undefined) this.#head++;
    // Reclaim the dropped part now and then, so the array does not grow with every call.
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      queue.splice(0, this.#head);
      this.#head = 0;
    }
    const first = queue[this.#head];
    if (first === undefined) {
      queue.length = 0;
      this.#head = 0;
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => this.#fireDue(), Math.max(0, first.at - this.now()));
  }

  #fireDue(): void {
    const at = this.now();
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const deadline = queue[this.#head] as Deadline;
      if (deadline.fire !== undefined && deadline.at > at) break;
      this.#head++;
      const fire = deadline.fire;
      deadline.fire = undefined;
      fire?.();
    }
    this.#arm();
  }
}

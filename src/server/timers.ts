// Timers that never keep the process alive, where the runtime's timers can say so (Node, Bun,
// Deno's compatibility layer); elsewhere (Workers) a timer is a number and there is nothing to do.

/** Lets `timer` not keep the process alive. */
export function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

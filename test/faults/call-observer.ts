/**
 * Runs listeners right after the emulator has handled an API call, before its answer is sent: what the
 * invariants need to see the state a listing showed or a callback left, and what a soak needs to act at
 * an exact point of a run (kill it between two calls). The emulator runs one `afterNextCall` action per
 * call, so one observer holds them all; it re-arms itself before its listeners run, so calls that
 * overlap a slow listener are seen too. A call answered by a fault is not seen (its handler did not run),
 * unless the fault only delays it.
 */
import type { CallLogEntry, EmulatorControl } from "../emulator";

const METHODS = ["GET", "POST", "PUT", "DELETE"] as const;

type Listener = (call: CallLogEntry) => unknown;

export class CallObserver {
  private listeners: { method: string; path: RegExp; fn: Listener }[] = [];

  /** Arms the emulator; a `reset` of the emulator disarms it (make a new observer after one). */
  constructor(private readonly control: EmulatorControl) {
    for (const method of METHODS) this.arm(method);
  }

  /** Calls `fn` after every handled call of `method` whose path matches; returns the unsubscribe. */
  on(method: (typeof METHODS)[number], path: RegExp, fn: Listener): () => void {
    const entry = { method, path, fn };
    this.listeners.push(entry);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== entry);
    };
  }

  private arm(method: string): void {
    this.control.afterNextCall({ method, path: "" }, async (call) => {
      this.arm(method);
      for (const l of [...this.listeners]) {
        if (l.method === call.method && l.path.test(call.path)) await l.fn(call);
      }
    });
  }
}

import type { CallLogEntry } from "./types";

/** Every API call in arrival order. Entries are created on arrival and completed with the status. */
export class CallLog {
  private entries: CallLogEntry[] = [];
  private seq = 0;

  /** Records an arriving call (status 0 until `complete`) and returns the live entry. */
  start(entry: Omit<CallLogEntry, "seq" | "status">): CallLogEntry {
    this.seq += 1;
    const live: CallLogEntry = { seq: this.seq, ...entry, status: 0 };
    this.entries.push(live);
    return live;
  }

  list(): CallLogEntry[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}

import { errorMessage } from "./api";

/** One user action: busy while it runs, its error kept for showing next to the control. */
export class Task {
  busy = $state(false);
  error = $state<string | null>(null);

  /** Runs `fn`; returns its result, or undefined after an error (kept in `error`). */
  async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    try {
      return await fn();
    } catch (err) {
      this.error = errorMessage(err);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  clear(): void {
    this.error = null;
  }
}

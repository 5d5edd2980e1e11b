/** Connection state of the live event stream. */
export type LiveState = "connecting" | "live" | "offline";

/** Events of `/events` the UI reacts to. */
export const EVENT_NAMES = [
  "status",
  "servers.changed",
  "tools.changed",
  "approvals.changed",
  "config.saved",
  "config.reloaded",
  "config.invalid",
  "tool_call.started",
  "tool_call.finished",
  "ping",
] as const;

export type EventName = (typeof EVENT_NAMES)[number];
export type Listener = (name: EventName, data: unknown) => void;

/** Minimal EventSource surface (injectable for tests). */
export interface SourceLike {
  addEventListener(type: string, listener: (e: MessageEvent) => void): void;
  close(): void;
  onopen: ((e: Event) => void) | null;
  onerror: ((e: Event) => void) | null;
  readyState: number;
}

/** Delay before reopening a stream the browser gave up on (HTTP error, core restarted). */
export function retryDelay(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5));
}

/**
 * Subscribes to `/events?apikey=…` (EventSource cannot send headers). The browser reconnects
 * after network errors by itself; when it gives up (an HTTP error) the stream is reopened
 * with capped backoff. Returns a function that closes the stream for good.
 */
export function subscribe(
  key: string,
  listener: Listener,
  onState: (state: LiveState) => void,
  open?: (url: string) => SourceLike,
  timers?: Timers,
): () => void {
  return subscribeTo("/events", EVENT_NAMES, key, listener, onState, open, timers);
}

/** Timer functions (injectable for tests). */
export interface Timers {
  set: (f: () => void, ms: number) => unknown;
  clear: (t: unknown) => void;
}

/** Like {@link subscribe}, for any event stream `path` of the core and the events `names`. */
export function subscribeTo<N extends string>(
  path: string,
  names: readonly N[],
  key: string,
  listener: (name: N, data: unknown) => void,
  onState: (state: LiveState) => void,
  open: (url: string) => SourceLike = (url) => new EventSource(url) as unknown as SourceLike,
  timers: Timers = {
    set: (f, ms) => setTimeout(f, ms),
    clear: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  },
): () => void {
  let source: SourceLike | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let closed = false;
  const url = `${path}${path.includes("?") ? "&" : "?"}apikey=${encodeURIComponent(key)}`;
  const connect = () => {
    timer = null;
    onState("connecting");
    const s = open(url);
    source = s;
    s.onopen = () => {
      attempt = 0;
      onState("live");
    };
    s.onerror = () => {
      if (s.readyState !== 2) {
        onState("connecting");
        return;
      }
      onState("offline");
      s.close();
      if (!closed) timer = timers.set(connect, retryDelay(attempt++));
    };
    for (const name of names) {
      s.addEventListener(name, (e) => {
        let data: unknown = null;
        try {
          data = JSON.parse(e.data);
        } catch {
          data = e.data;
        }
        listener(name, data);
      });
    }
  };
  connect();
  return () => {
    closed = true;
    if (timer !== null) timers.clear(timer);
    source?.close();
  };
}

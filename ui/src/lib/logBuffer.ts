/** Most lines the Logs tab keeps (older ones are dropped from the view, not from the log). */
export const MAX_LINES = 1000;

/** Events of a server's log stream (`GET /api/v1/servers/{name}/logs/stream`). */
export const LOG_EVENTS = ["server.log.tail", "server.log", "server.log.dropped", "ping"] as const;

/** The log stream of `server`, opening with its last `tail` lines. */
export function logStreamPath(server: string, tail: number): string {
  return `/api/v1/servers/${encodeURIComponent(server)}/logs/stream?tail=${tail}`;
}

/** What the Logs tab shows, plus the lines held back while paused. */
export interface LogView {
  lines: string[];
  /** Lines that arrived while paused (shown on resume). */
  held: string[];
  paused: boolean;
}

export function emptyLog(): LogView {
  return { lines: [], held: [], paused: false };
}

function lastLines(lines: string[], max: number): string[] {
  return lines.length > max ? lines.slice(lines.length - max) : lines;
}

/** The stream (re)opened with the log's tail: it replaces everything shown. */
export function resetLog(view: LogView, tail: string[], max = MAX_LINES): LogView {
  return { ...view, lines: lastLines(tail, max), held: [] };
}

/** New lines: shown, or held while paused; either way at most `max` are kept. */
export function appendLog(view: LogView, more: string[], max = MAX_LINES): LogView {
  if (more.length === 0) return view;
  if (view.paused) return { ...view, held: lastLines([...view.held, ...more], max) };
  return { ...view, lines: lastLines([...view.lines, ...more], max) };
}

/** Note in the view that the core skipped `count` lines for this (slow) reader. */
export function droppedNote(count: number): string {
  return `… ${count} line(s) skipped: the log was written faster than this page could follow`;
}

export function pauseLog(view: LogView): LogView {
  return { ...view, paused: true };
}

/** Resume: the held lines are appended. */
export function resumeLog(view: LogView, max = MAX_LINES): LogView {
  return appendLog({ ...view, paused: false, held: [] }, view.held, max);
}

/** Text of a `server.log` event's data, or null when it is not one. */
export function lineOf(data: unknown): string | null {
  const line = (data as { line?: unknown } | null)?.line;
  return typeof line === "string" ? line : null;
}

/** Lines of a `server.log.tail` event's data. */
export function tailOf(data: unknown): string[] {
  const lines = (data as { lines?: unknown } | null)?.lines;
  return Array.isArray(lines) ? lines.filter((l): l is string => typeof l === "string") : [];
}

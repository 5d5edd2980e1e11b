/** "3 s ago", "5 min ago", or a date for older times. */
export function relativeTime(ms: number, now: number = Date.now()): string {
  const diff = Math.max(0, now - ms);
  if (diff < 5_000) return "just now";
  if (diff < 60_000) return `${Math.floor(diff / 1000)} s ago`;
  if (diff < 3_600_000) return `${Math.floor(diff / 60_000)} min ago`;
  if (diff < 86_400_000) return `${Math.floor(diff / 3_600_000)} h ago`;
  return new Date(ms).toLocaleString();
}

/** "850 ms", "1.2 s", "2 min 5 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Tone of a server status for its badge. */
export function statusTone(status: string): "ok" | "warn" | "bad" | "muted" {
  switch (status) {
    case "ready":
      return "ok";
    case "connecting":
    case "quarantined":
      return "warn";
    case "error":
      return "bad";
    default:
      return "muted";
  }
}

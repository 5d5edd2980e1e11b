/** Filters of the activity list as typed in the form. */
export interface ActivityFilters {
  type: string;
  server: string;
  tool: string;
  status: string;
  request_id: string;
  /** `datetime-local` input values (local time), or "". */
  since: string;
  until: string;
}

/** No filter. */
export function emptyFilters(): ActivityFilters {
  return { type: "", server: "", tool: "", status: "", request_id: "", since: "", until: "" };
}

/** Query string of `GET /api/v1/activity` (times as RFC 3339 UTC; empty filters left out). */
export function activityQuery(filters: ActivityFilters, limit: number, offset: number): string {
  const params = new URLSearchParams();
  for (const key of ["type", "server", "tool", "status", "request_id"] as const) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  for (const key of ["since", "until"] as const) {
    if (!filters[key]) continue;
    const time = new Date(filters[key]);
    if (!Number.isNaN(time.getTime())) params.set(key, time.toISOString());
  }
  params.set("limit", String(limit));
  params.set("offset", String(offset));
  return params.toString();
}

/** Problem with the time range, or null. */
export function validateRange(filters: ActivityFilters): string | null {
  if (filters.since && filters.until && new Date(filters.since) > new Date(filters.until))
    return "“Since” is after “until”: swap them.";
  return null;
}

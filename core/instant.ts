// Instants as handoff stores them: ISO 8601 UTC strings with an explicit zone.

/** ISO 8601 UTC without milliseconds, e.g. `2027-01-01T00:00:00Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * An ISO instant with an explicit zone (`Z` or `±HH:MM`) → epoch ms; NaN otherwise. A bare
 * local time is refused on purpose: reading UTC as local time was the seed's expiry bug.
 */
export function parseInstant(iso: string): number {
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  return zoned.test(iso) ? Date.parse(iso) : Number.NaN;
}

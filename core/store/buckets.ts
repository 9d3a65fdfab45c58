// UTC time buckets for usage aggregates. A bucket is identified by its start in epoch ms, so
// ranges are plain integer comparisons.
export const GRANULARITIES = ['hour', 'day', 'month'] as const
export type Granularity = typeof GRANULARITIES[number]

export function bucketStart (granularity: Granularity, time: number): number {
  const d = new Date(time)
  switch (granularity) {
    case 'hour': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours())
    case 'day': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
    case 'month': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  }
}

/** Aggregate rows of one granularity whose bucket starts in [from, to). */
export interface BucketRange { granularity: Granularity, from: number, to: number }

/**
 * The aggregate rows that sum a range: day rows for the whole UTC days inside it, hour rows for
 * the hours at either end (a range starting at 13:00 in a time zone). A month of one key is then
 * about 30 + 48 rows, not 720. Hours are whole: a range starting mid-hour counts from its hour.
 */
export function bucketRanges (since: number, until: number): BucketRange[] {
  const firstHour = bucketStart('hour', since)
  const firstDay = firstHour === bucketStart('day', firstHour) ? firstHour : bucketStart('day', firstHour) + 86_400_000
  const lastDay = bucketStart('day', until)
  if (firstDay >= lastDay) return [{ granularity: 'hour', from: firstHour, to: until }]
  return [
    { granularity: 'hour', from: firstHour, to: firstDay },
    { granularity: 'day', from: firstDay, to: lastDay },
    { granularity: 'hour', from: lastDay, to: until },
  ].filter(r => r.from < r.to) as BucketRange[]
}

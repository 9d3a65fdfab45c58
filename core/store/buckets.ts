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

// The usage aggregates a write adds, summed before they go to the store: one row per
// granularity, bucket, key, account and model instead of one increment per record (most
// records of a write share them). Both stores write these sums: SQLite as one upsert per row,
// Redis as one HINCRBY per row and metric.
import { bucketStart, GRANULARITIES, type Granularity } from './buckets.ts'
import type { RepricedRequest, UsageRecord, UsageTotal } from './store.ts'

export interface AggregateRow {
  /** `clientKind`: '' for rows written before aggregates kept it (and for repricings that do not know it). */
  granularity: Granularity, bucket: number, keyId: string, accountId: string, model: string, clientKind: string, requests: number,
  input: number, output: number, cacheWrite5m: number, cacheWrite1h: number, cacheRead: number, costPico: bigint, unpriced: number
}

type Place = Pick<UsageRecord, 'time' | 'keyId' | 'accountId' | 'model'> & { clientKind?: string }

/** The row of a record's hour, day or month bucket, created empty. */
function rowOf (sums: Map<string, AggregateRow>, granularity: Granularity, r: Place): AggregateRow {
  const bucket = bucketStart(granularity, r.time)
  const id = `${granularity}\u0000${bucket}\u0000${r.keyId}\u0000${r.accountId ?? ''}\u0000${r.model ?? ''}\u0000${r.clientKind ?? ''}`
  let row = sums.get(id)
  if (!row) {
    row = { granularity, bucket, keyId: r.keyId, accountId: r.accountId ?? '', model: r.model ?? '', clientKind: r.clientKind ?? '', requests: 0, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costPico: 0n, unpriced: 0 }
    sums.set(id, row)
  }
  return row
}

/** A re-priced request: its buckets' cost moves by the difference, and it is no longer unpriced. */
export function addRepricing (sums: Map<string, AggregateRow>, r: RepricedRequest): void {
  for (const granularity of GRANULARITIES) {
    const row = rowOf(sums, granularity, r)
    row.costPico += r.costPico - (r.was.costPico ?? 0n)
    if (r.was.unpriced) row.unpriced--
  }
}

/** Adds a billable record to the sums of its hour, day and month buckets. */
export function addToAggregates (sums: Map<string, AggregateRow>, r: UsageRecord): void {
  const u = r.usage
  for (const granularity of GRANULARITIES) {
    const row = rowOf(sums, granularity, r)
    row.requests += r.requests ?? 1
    row.input += u.input ?? 0
    row.output += u.output ?? 0
    row.cacheWrite5m += u.cacheWrite5m ?? 0
    row.cacheWrite1h += u.cacheWrite1h ?? 0
    row.cacheRead += u.cacheRead ?? 0
    row.costPico += r.costPico ?? 0n
    if (r.unpriced) row.unpriced++
  }
}

/** Adds one total's sums to another's (totals read per bucket or group, summed under another). */
export function addUsageTotal (into: UsageTotal, t: UsageTotal): void {
  into.requests += t.requests
  into.input += t.input
  into.output += t.output
  into.cacheWrite5m += t.cacheWrite5m
  into.cacheWrite1h += t.cacheWrite1h
  into.cacheRead += t.cacheRead
  into.costPico += t.costPico
  into.unpricedRequests += t.unpricedRequests
}

/** Takes one total's sums from another's (a bucket's whole less the groups listed on their own). */
export function subtractUsageTotal (from: UsageTotal, t: UsageTotal): void {
  from.requests -= t.requests
  from.input -= t.input
  from.output -= t.output
  from.cacheWrite5m -= t.cacheWrite5m
  from.cacheWrite1h -= t.cacheWrite1h
  from.cacheRead -= t.cacheRead
  from.costPico -= t.costPico
  from.unpricedRequests -= t.unpricedRequests
}

// `ai-relay usage`: totals per key, model or account for a period, from the aggregates.
import { formatUsd } from '../metering/pricing.ts'
import { bucketStart } from '../store/buckets.ts'
import type { Runtime } from '../runtime.ts'
import type { UsageGroup } from '../store/store.ts'
import { table, type CliIo, type CliValues } from './cli-io.ts'
import { allAccounts, allKeys } from '../manage/records.ts'

const GROUPS: UsageGroup[] = ['key', 'model', 'account']

export async function usageCommand (rt: Runtime, _args: string[], v: CliValues, io: CliIo): Promise<number> {
  if (!GROUPS.includes(v.by as UsageGroup)) {
    io.err(`--by must be one of ${GROUPS.join(', ')}`)
    return 2
  }
  const now = Date.now()
  // Default period: this calendar month (UTC) up to now.
  const since = v.since ? Date.parse(v.since) : bucketStart('month', now)
  // Until the end of the current hour, so requests of the last minutes are included.
  const until = v.until ? Date.parse(v.until) : bucketStart('hour', now) + 3_600_000
  if (Number.isNaN(since) || Number.isNaN(until)) {
    io.err('--since/--until: ISO-8601 dates or times, e.g. 2026-11-01 or 2026-11-26T12:00:00Z')
    return 2
  }
  const rows = await rt.store.queryUsage({ since, until, groupBy: v.by as UsageGroup })
  const names = new Map<string, string>()
  for (const r of [...await allKeys(rt), ...await allAccounts(rt)]) names.set(r.id, r.name)
  const label = (g: string | null) => (g === null ? '(none)' : v.by === 'model' ? g : names.get(g) ?? g)

  if (v.json) {
    io.out(JSON.stringify({
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      by: v.by,
      rows: rows.map(r => ({
        [v.by]: label(r.group), id: v.by === 'model' ? undefined : r.group,
        requests: r.requests, inputTokens: r.input, outputTokens: r.output, cacheWrite5mTokens: r.cacheWrite5m,
        cacheWrite1hTokens: r.cacheWrite1h, cacheReadTokens: r.cacheRead, costPicoUsd: r.costPico.toString(),
        costUsd: formatUsd(r.costPico).slice(1), unpricedRequests: r.unpricedRequests,
      })),
    }))
    return 0
  }
  io.out(`Usage ${new Date(since).toISOString()} – ${new Date(until).toISOString()} by ${v.by}`)
  io.out(table([
    [v.by.toUpperCase(), 'REQUESTS', 'INPUT', 'OUTPUT', 'CACHE W 5M', 'CACHE W 1H', 'CACHE READ', 'COST', 'UNPRICED'],
    ...rows.map(r => [label(r.group), String(r.requests), String(r.input), String(r.output), String(r.cacheWrite5m),
      String(r.cacheWrite1h), String(r.cacheRead), formatUsd(r.costPico), String(r.unpricedRequests)]),
  ]))
  return 0
}

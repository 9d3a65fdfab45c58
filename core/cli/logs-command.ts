// `ai-relay logs`: the request log, newest first, filtered by key, account (name or id), model,
// status, client address and time; with who sent each request and the provider's request id.
import type { Runtime } from '../runtime.ts'
import { usdString } from '../limits/money.ts'
import { allAccounts, allKeys, findByRef, invalid } from '../manage/records.ts'
import { table, type CliIo, type CliValues } from './cli-io.ts'

export async function logsCommand (rt: Runtime, v: CliValues, io: CliIo): Promise<number> {
  const time = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined
    const t = Date.parse(value)
    if (Number.isNaN(t)) throw invalid(`--${flag}: not an ISO-8601 time: ${value}`)
    return t
  }
  const limit = v.limit === undefined ? 50 : Number(v.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw invalid('--limit must be an integer from 1 to 10000')
  const status = v.status === undefined ? undefined : Number(v.status)
  if (status !== undefined && !Number.isInteger(status)) throw invalid('--status must be an HTTP status')
  const keys = await allKeys(rt)
  const accounts = await allAccounts(rt)
  const rows = await rt.store.queryRequests({
    keyId: v.key === undefined ? undefined : findByRef('key', keys, v.key).id,
    accountId: v.account === undefined ? undefined : findByRef('account', accounts, v.account).id,
    model: v.model, status, clientIp: v.ip, since: time('since', v.since), until: time('until', v.until), limit,
  })
  const keyName = new Map(keys.map(k => [k.id, k.name]))
  const accountName = new Map(accounts.map(a => [a.id, a.name]))
  if (v.json) {
    io.out(JSON.stringify(rows.map(r => ({ ...r, time: new Date(r.time).toISOString(), costPico: undefined, costUsd: r.costPico === null ? null : usdString(r.costPico), key: keyName.get(r.keyId) ?? r.keyId, account: r.accountId === null ? null : accountName.get(r.accountId) ?? r.accountId }))))
    return 0
  }
  io.out(table([
    ['TIME', 'KEY', 'ACCOUNT', 'MODEL', 'STATUS', 'IN/OUT', 'COST', 'MS', 'CLIENT', 'IP', 'UPSTREAM ID'],
    ...rows.map(r => [
      new Date(r.time).toISOString(), keyName.get(r.keyId) ?? r.keyId, r.accountId === null ? '-' : accountName.get(r.accountId) ?? r.accountId,
      r.model ?? '-', String(r.status), `${r.usage.input ?? '-'}/${r.usage.output ?? '-'}`, r.costPico === null ? '-' : `$${usdString(r.costPico)}`,
      String(r.latencyMs), r.userAgent?.slice(0, 40) ?? r.clientKind, r.clientIp ?? '-', r.upstreamRequestId ?? '-',
    ]),
  ]))
  return 0
}

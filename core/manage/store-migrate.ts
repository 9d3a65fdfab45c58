// Copies one store into another (SQLite → Redis when a deployment grows to several instances,
// or back): keys, accounts with their sealed credentials and run-time state, key activity,
// admin users, and the request log with its usage (aggregates are rebuilt from the rows).
// Ephemeral state is not copied: concurrency leases, limit-window counters (windows start
// afresh), sticky bindings (conversations pick an account again), admin sessions.
import type { Store, UsageRecord } from '../store/store.ts'

export interface MigrateReport {
  keys: number
  accounts: number
  requests: number
  adminUsers: number
}

const PAGE = 1000

export async function migrateStore (from: Store, to: Store): Promise<MigrateReport> {
  const report: MigrateReport = { keys: 0, accounts: 0, requests: 0, adminUsers: 0 }
  const existingKeys = new Set((await to.listKeys()).map(k => k.id))
  for (const k of await from.listKeys()) {
    if (existingKeys.has(k.id)) continue
    await to.insertKey(k)
    report.keys++
  }
  const activations = await from.activations()
  for (const [id, at] of activations) await to.activate(id, at)
  await to.writeUsage({ records: [], keysUsed: await from.lastUsed() })

  const existingAccounts = new Set((await to.listAccounts()).map(a => a.id))
  for (const a of await from.listAccounts()) {
    if (existingAccounts.has(a.id)) continue
    await to.insertAccount(a)
    report.accounts++
  }
  for (const st of await from.listAccountStates()) await to.saveAccountState(st)
  await to.saveAccountsLastUsed(await from.accountsLastUsed())

  for (const u of await from.listAdminUsers()) {
    await to.putAdminUser(u)
    report.adminUsers++
  }

  // The request log, oldest pages last (the cursor walks back from the newest row).
  let before: { time: number, requestId: string } | undefined
  for (;;) {
    const rows = await from.queryRequests({ limit: PAGE, before })
    if (rows.length === 0) break
    const records: UsageRecord[] = rows.map(({ state: _s, ...r }) => ({
      ...r,
      // A row with usage counted tokens (a generate call); passthrough rows carry none.
      billable: Object.values(r.usage).some(n => n !== undefined),
    }))
    await to.writeUsage({ records })
    report.requests += rows.length
    const last = rows.at(-1)!
    before = { time: last.time, requestId: last.requestId }
  }
  return report
}

// `ai-relay import crs --redis redis://... --encryption-key-env CRS_ENCRYPTION_KEY [--dry-run]
// [--allow-lossy] [--json]`: brings a claude-relay-service deployment's keys, accounts, groups,
// limits, bindings and usage history over from its Redis (read only). It prints, per record,
// what it creates or changes and every field it does not carry; anything lossy (a field that
// changed behaviour there, a record it cannot take) writes nothing and exits 1 unless
// --allow-lossy. Its ENCRYPTION_KEY decrypts the account credentials, and the relay needs it to
// accept the imported keys as their holders have them (`secrets.crsEncryptionKey`).
import type { Runtime } from '../runtime.ts'
import { importCrs, type ImportItem, type ImportReport } from '../manage/import-crs.ts'
import type { CliIo, CliValues } from './cli-io.ts'

const USAGE = 'usage: ai-relay import crs --redis redis://[:password@]host:port[/db] --encryption-key-env ENV_VAR [--dry-run] [--allow-lossy] [--json]'

export async function importCommand (rt: Runtime, what: string | undefined, v: CliValues, io: CliIo): Promise<number> {
  if (what !== 'crs' || !v.redis || (!v['encryption-key'] && !v['encryption-key-env'])) {
    io.err(USAGE)
    return 2
  }
  let key = v['encryption-key']
  if (key !== undefined) io.err('note: --encryption-key puts the secret in your shell history; --encryption-key-env ENV_VAR does not')
  else {
    key = io.env[v['encryption-key-env']!]
    if (!key) {
      io.err(`--encryption-key-env: ${v['encryption-key-env']} is not set`)
      return 2
    }
  }
  const { Redis } = await import('ioredis')
  const redis = new Redis(v.redis, { maxRetriesPerRequest: 2, lazyConnect: true })
  try {
    await redis.connect()
    const report = await importCrs(rt, redis, key, { dryRun: v['dry-run'], allowLossy: v['allow-lossy'] })
    if (v.json) io.out(JSON.stringify(report, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)))
    else print(report, io, { dryRun: v['dry-run'] })
    if (report.written && report.items.some(i => i.kind === 'key' && i.action === 'create') && rt.loaded.config.secrets.crsEncryptionKey !== key) {
      io.out('The imported keys work once the relay knows the incumbent\'s ENCRYPTION_KEY: set secrets.crsEncryptionKey (e.g. "${CRS_ENCRYPTION_KEY}") and restart or reload.')
    }
    return report.lossy && !v['allow-lossy'] ? 1 : 0
  } finally {
    redis.disconnect()
  }
}

function print (report: ImportReport, io: CliIo, opts: { dryRun: boolean }): void {
  const count = (kind: ImportItem['kind'], action: ImportItem['action']) => report.items.filter(i => i.kind === kind && i.action === action).length
  for (const i of report.items) {
    const head = `${i.kind} ${i.name}${i.was !== i.name ? ` (there: ${i.was})` : ''}: ${i.action === 'skip' ? 'not imported' : i.action === 'refused' ? 'refused' : i.action}`
    io.out(i.reason ? `${head}: ${i.reason}` : head)
    for (const c of i.changes) io.out(`    change   ${c}`)
    for (const l of i.notes.lost) io.out(`    lost     ${l}`)
    for (const d of i.notes.dropped) io.out(`    dropped  ${d}`)
    for (const w of i.notes.warnings) io.out(`    skipped  ${w}`)
  }
  for (const n of report.notImported) io.out(`${n.count} ${n.what} account(s): not imported: ${n.why}`)
  const summary = `keys: ${count('key', 'create')} new, ${count('key', 'update')} changed, ${count('key', 'unchanged')} unchanged, ${count('key', 'skip') + count('key', 'refused')} not imported; ` +
    `accounts: ${count('account', 'create')} new, ${count('account', 'update')} changed, ${count('account', 'unchanged')} unchanged, ${count('account', 'skip')} not imported; ` +
    `history rows: ${report.usageRows}.`
  if (report.written) io.out(`Imported. ${summary}`)
  else if (opts.dryRun) io.out(`Dry run, nothing written. ${summary}`)
  else io.out(`Nothing written: some of the incumbent's settings are not carried (lost, refused or not imported above). Run again with --allow-lossy to import the rest. ${summary}`)
}

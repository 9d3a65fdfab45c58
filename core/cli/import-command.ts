// `ai-relay import crs --redis redis://... --encryption-key-env CRS_ENCRYPTION_KEY`: brings a
// claude-relay-service deployment's keys, accounts, limits and usage totals over from its Redis
// (read only). Its ENCRYPTION_KEY decrypts its account credentials, and the relay needs it to
// accept the imported keys as their holders have them (`secrets.crsEncryptionKey`).
import type { Runtime } from '../runtime.ts'
import { importCrs } from '../manage/import-crs.ts'
import type { CliIo, CliValues } from './cli-io.ts'

export async function importCommand (rt: Runtime, what: string | undefined, v: CliValues, io: CliIo): Promise<number> {
  if (what !== 'crs' || !v.redis || (!v['encryption-key'] && !v['encryption-key-env'])) {
    io.err('usage: ai-relay import crs --redis redis://[:password@]host:port[/db] --encryption-key-env ENV_VAR')
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
    const report = await importCrs(rt, redis, key)
    io.out(`Imported ${report.keys.length} key(s), ${report.accounts.length} account(s), usage totals of ${report.usage} key(s).`)
    for (const s of report.skipped) io.out(`  not imported: ${s}`)
    if (report.keys.length > 0 && rt.loaded.config.secrets.crsEncryptionKey !== key) {
      io.out('  The imported keys work once the relay knows the incumbent\'s ENCRYPTION_KEY: set secrets.crsEncryptionKey (e.g. "${CRS_ENCRYPTION_KEY}") and restart or reload.')
    }
    return 0
  } finally {
    redis.disconnect()
  }
}

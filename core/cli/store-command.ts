// `ai-relay store migrate --from sqlite:./data/relay.db --to redis://host:6379[?prefix=relay:]`:
// copies a store into another with the relays stopped (see core/manage/store-migrate.ts for what
// is copied). Sealed credentials travel sealed: both sides must use the same RELAY_SECRET_KEY.
import { resolve } from 'node:path'
import { openSqliteStore } from '../store/sqlite-store.ts'
import type { Store } from '../store/store.ts'
import { migrateStore } from '../manage/store-migrate.ts'
import type { CliIo, CliValues } from './cli-io.ts'

async function openByUri (uri: string): Promise<Store> {
  if (uri.startsWith('sqlite:')) return openSqliteStore(resolve(uri.slice('sqlite:'.length)))
  if (/^rediss?:\/\//.test(uri)) {
    const url = new URL(uri)
    const prefix = url.searchParams.get('prefix') ?? 'relay:'
    url.search = ''
    const { openRedisStore } = await import('../store/redis-store.ts')
    return openRedisStore({ url: url.href, prefix })
  }
  throw new Error(`not a store: ${uri} (sqlite:<path> or redis://host:port[?prefix=relay:])`)
}

export async function storeCommand (sub: string | undefined, v: CliValues, io: CliIo): Promise<number> {
  if (sub !== 'migrate' || !v.from || !v.to) {
    io.err('usage: ai-relay store migrate --from sqlite:./data/relay.db --to redis://host:6379[?prefix=relay:]')
    return 2
  }
  let from: Store | undefined
  let to: Store | undefined
  try {
    from = await openByUri(v.from)
    to = await openByUri(v.to)
    const r = await migrateStore(from, to)
    io.out(`Copied ${r.keys} key(s), ${r.accounts} account(s), ${r.adminUsers} admin user(s) and ${r.requests} request-log row(s). Limit windows, sticky conversations and sessions start afresh.`)
    return 0
  } catch (err) {
    io.err(`store migrate failed: ${(err as Error).message}`)
    return 1
  } finally {
    await from?.close()
    await to?.close()
  }
}

// Conversation → account bindings, so a conversation keeps hitting the account that holds its
// prompt cache (and its subscription session). Keys are namespaced by relay key and provider:
// two users can never share a binding even if their clients send the same session id.
// The binding lives in the store with a TTL renewed on use.
import { createHash } from 'node:crypto'
import type { Store, StickyBinding } from '../store/store.ts'

/** A renewal is written only when it moves the expiry by at least this much (one write a minute, not one per request). */
const RENEW_STEP_MS = 60_000

/** Longer session ids are stored by their hash: they are the client's to choose (a body field can be megabytes). */
export const SESSION_KEY_LIMIT = 128

export function sessionNamespace (keyId: string, provider: string, sessionKey: string): string {
  const id = sessionKey.length <= SESSION_KEY_LIMIT ? sessionKey : `sha256:${createHash('sha256').update(sessionKey).digest('hex')}`
  return `${keyId}:${provider}:${id}`
}

export class StickySessions {
  #store: Store
  #ttlMs: number

  constructor (store: Store, ttlMs: number) {
    this.#store = store
    this.#ttlMs = ttlMs
  }

  get (ns: string, now: number): Promise<StickyBinding | undefined> {
    return this.#store.getSticky(ns, now)
  }

  /** Records that `accountId` served the conversation: renews, or re-binds counting a switch. */
  async served (ns: string, accountId: string, previous: StickyBinding | undefined, now: number): Promise<void> {
    const expiresAt = now + this.#ttlMs
    if (previous?.accountId === accountId) {
      if (expiresAt - previous.expiresAt >= Math.min(RENEW_STEP_MS, this.#ttlMs / 2)) await this.#store.putSticky(ns, { ...previous, expiresAt })
      return
    }
    await this.#store.putSticky(ns, { accountId, expiresAt, switches: previous ? previous.switches + 1 : 0 })
  }
}

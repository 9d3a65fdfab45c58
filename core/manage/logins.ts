// Subscription logins (OAuth), as the CLI's `accounts login` and the admin API's start / finish
// calls run them: `beginLogin` picks the account type and returns the URL the operator opens;
// `finishLogin` exchanges what the operator pasted back and saves the account (a new one, or the
// same account logged in again in place). The token call leaves the way the account's traffic will.
import { errors } from '../errors.ts'
import { Egress } from '../relay/egress.ts'
import type { Runtime } from '../runtime.ts'
import type { AccountType } from '../accounts/account-types.ts'
import { allAccounts, checkNewName, invalid, type ListedAccount } from './records.ts'
import { checkPlacement, saveLogin, type Placement } from './accounts.ts'

export interface PendingLogin {
  name: string
  type: AccountType
  /** What the exchange needs later (PKCE verifier, state): never shown. */
  pending: Record<string, string>
  url: string
  /** A device login's code: the operator confirms it at the URL, then pastes it back. */
  userCode?: string
  /** Plain fields the operator gave (e.g. allowOtherClients, projectId). */
  extra: Record<string, unknown>
  placement: Partial<Placement>
}

/**
 * `what` is a provider (`claude`) or a login's own name (`codex` for codex-oauth); `typeName`
 * chooses among several OAuth types of a provider.
 */
export async function beginLogin (rt: Runtime, input: { what?: string, typeName?: string, name?: string, extra?: Record<string, unknown> } & Partial<Placement>): Promise<PendingLogin> {
  const { what, typeName, name, extra = {}, ...placement } = input
  if (!what || !name) throw invalid('a login needs a provider and an account name')
  const accounts = await allAccounts(rt)
  const existing = accounts.find(a => a.name === name)
  if (existing?.source === 'config') throw new errors.RELAY_ERR_READ_ONLY('account', existing.name)
  if (!existing) checkNewName('account', name, accounts)
  const byName = rt.plugins.find(p => p.plugin.name === what)?.plugin
  const plugin = byName ?? rt.plugins.find(p => p.plugin.accountTypes[`${what}-oauth`]?.oauth)?.plugin
  if (!plugin) throw invalid(`no enabled plugin is named "${what}", and none has a ${what}-oauth account type`)
  // A provider with several logins (gemini: Gemini CLI's and Antigravity's) means its own `<name>-oauth`.
  const own = `${what}-oauth`
  const wanted = typeName ?? (byName ? (byName.accountTypes[own]?.oauth ? own : undefined) : own)
  const oauthTypes = Object.entries(plugin.accountTypes).filter(([n, t]) => t.oauth && (!wanted || wanted === n))
  if (oauthTypes.length !== 1) {
    throw invalid(oauthTypes.length === 0
      ? `provider "${plugin.name}" has no OAuth account type${typeName ? ` named ${typeName}` : ''}`
      : `several OAuth types: choose one (${oauthTypes.map(([n]) => n).join(', ')})`)
  }
  const type = rt.accountTypes.resolve(plugin.name, oauthTypes[0]![0])
  if (typeof type === 'string') throw new errors.RELAY_ERR_INTERNAL()
  if (existing && (existing.provider !== type.provider || existing.type !== type.name)) {
    throw invalid(`account "${existing.name}" is a ${existing.provider} ${existing.type} account, not ${type.name}: choose another name, or delete it first`)
  }
  const secret = Object.keys(extra).find(k => type.secretFields.includes(k))
  if (secret !== undefined) throw invalid(`${secret} is a credential: the login provides it`)
  checkPlacement(rt, placement)
  // A device login asks the provider first: that call leaves the way the account's traffic will.
  const egress = new Egress(rt.loaded.config.upstream, rt.env)
  let start
  try {
    start = await type.spec.oauth!.authorize({ dispatcher: egress.forAccount({ proxy: placement.proxy ?? null }), now: Date.now() })
  } catch (err) {
    throw invalid(`login failed: ${(err as Error).message}`)
  } finally {
    await egress.close()
  }
  return { name, type, pending: start.pending, url: start.url, ...(start.userCode ? { userCode: start.userCode } : {}), extra, placement }
}

export async function finishLogin (rt: Runtime, login: PendingLogin, pasted: string): Promise<{ account: ListedAccount, again: boolean }> {
  if (!pasted.trim()) throw invalid('no code was pasted')
  const existing = (await allAccounts(rt)).find(a => a.name === login.name)
  const egress = new Egress(rt.loaded.config.upstream, rt.env)
  const dispatcher = egress.forAccount({ proxy: login.placement.proxy ?? null })
  let fields: Record<string, unknown>
  try {
    fields = await login.type.spec.oauth!.exchange(pasted, login.pending, { dispatcher, now: Date.now(), given: { ...(existing?.fields ?? {}), ...login.extra } })
  } catch (err) {
    throw invalid(`login failed: ${(err as Error).message}`)
  } finally {
    await egress.close()
  }
  return saveLogin(rt, { name: login.name, type: login.type, fields, extra: login.extra, ...login.placement })
}

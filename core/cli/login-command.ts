// `ai-relay accounts login <provider>`: adds a subscription account through the provider's
// OAuth flow, or logs an existing one in again in place (same id, key bindings and history; its
// run-time state is reset). The operator opens the printed URL, logs in, and pastes the code
// shown back here; the tokens are validated, sealed and stored, never printed.
import { Egress } from '../relay/egress.ts'
import { errors } from '../errors.ts'
import { randomId } from '../ids.ts'
import type { Runtime } from '../runtime.ts'
import type { AccountRecord } from '../store/store.ts'
import type { CliIo, CliValues } from './main.ts'
import { allAccounts, checkNewName, placementFrom, plainFields, resetAccountState } from './records.ts'
import { readStdinLines } from './read-secret.ts'

export async function loginCommand (rt: Runtime, what: string | undefined, v: CliValues, io: CliIo): Promise<number> {
  if (!what || !v.name) {
    io.err('usage: ai-relay accounts login <provider> --name N [--type T] [--priority 1-100] [--group G ...]')
    return 2
  }
  const accounts = await allAccounts(rt)
  const existing = accounts.find(a => a.name === v.name)
  if (existing?.source === 'config') throw new errors.RELAY_ERR_READ_ONLY('account', existing.name)
  const badName = existing ? undefined : checkNewName('account', v.name, accounts)
  if (badName) {
    io.err(badName)
    return 2
  }
  // A provider (`claude`, `openai`) or the login's own name (`codex` for codex-oauth).
  const byName = rt.plugins.find(p => p.plugin.name === what)?.plugin
  const plugin = byName ?? rt.plugins.find(p => p.plugin.accountTypes[`${what}-oauth`]?.oauth)?.plugin
  if (!plugin) {
    io.err(`no enabled plugin is named "${what}", and none has a ${what}-oauth account type`)
    return 2
  }
  const provider = plugin.name
  const wanted = v.type ?? (byName ? undefined : `${what}-oauth`)
  const oauthTypes = Object.entries(plugin.accountTypes).filter(([name, t]) => t.oauth && (!wanted || wanted === name))
  if (oauthTypes.length !== 1) {
    io.err(oauthTypes.length === 0 ? `provider "${provider}" has no OAuth account type${v.type ? ` named ${v.type}` : ''}` : `several OAuth types: choose one with --type (${oauthTypes.map(([n]) => n).join(', ')})`)
    return 2
  }
  const [typeName, spec] = oauthTypes[0]!
  if (existing && (existing.provider !== provider || existing.type !== typeName)) {
    io.err(`account "${existing.name}" is a ${existing.provider} ${existing.type} account, not ${typeName}: choose another name, or delete it first`)
    return 2
  }
  const placement = placementFrom(v, io, rt.secretBox)
  const extra = plainFields(v.set, Object.keys(spec.schema.properties).filter(k => spec.schema.properties[k]!.writeOnly === true))
  if (typeof placement === 'string' || typeof extra === 'string') {
    io.err(typeof placement === 'string' ? placement : extra as string)
    return 2
  }
  const { url, pending } = spec.oauth!.authorize()
  io.err(`Open this URL in a browser, log in, and paste the code it shows (or the whole address the browser ends on):\n\n  ${url}\n`)
  const { code } = await readStdinLines(io.stdin, ['code'], io.err)
  if (!code) {
    io.err('no code was pasted')
    return 1
  }
  // The token call leaves the way the account's traffic will.
  const egress = new Egress(rt.loaded.config.upstream, io.env)
  const dispatcher = egress.forAccount({ proxy: placement.sealedProxy ? rt.secretBox.open(placement.sealedProxy) : null })
  let fields: Record<string, unknown>
  try {
    fields = await spec.oauth!.exchange(code, pending, { dispatcher, now: Date.now(), given: { ...(existing?.fields ?? {}), ...extra } })
  } catch (err) {
    io.err(`login failed: ${(err as Error).message}`)
    return 1
  } finally {
    await egress.close()
  }
  const type = rt.accountTypes.resolve(provider, typeName)
  if (typeof type === 'string') throw new errors.RELAY_ERR_INTERNAL()
  // A new login keeps what the operator set on the account before (e.g. allowOtherClients).
  const check = rt.accountTypes.check(type, { ...(existing?.fields ?? {}), ...extra, ...fields })
  if (!check.ok) {
    io.err(`the provider's answer does not fit ${typeName}: ${check.problems.map(p => `${p.path} ${p.message}`).join('; ')}`)
    return 1
  }
  const who = typeof check.plain.email === 'string' ? ` for ${check.plain.email}` : ''
  if (existing) {
    await rt.store.updateAccount(existing.id, { fields: check.plain, sealedSecrets: rt.secretBox.seal(JSON.stringify(check.secrets)) })
    await resetAccountState(rt, existing.id)
    io.out(`Logged in again: ${provider} account "${existing.name}" (${existing.id}, ${typeName}${who}); its keys and history are kept.`)
    return 0
  }
  const record: AccountRecord = {
    id: randomId('acc'), name: v.name, provider, type: typeName, disabled: false,
    fields: check.plain, sealedSecrets: rt.secretBox.seal(JSON.stringify(check.secrets)), createdAt: Date.now(),
    source: 'store', ...placement,
  }
  await rt.store.insertAccount(record)
  io.out(`Logged in: ${provider} account "${v.name}" (${record.id}, ${typeName}${who}).`)
  return 0
}

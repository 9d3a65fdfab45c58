// The incumbent's accounts as this relay's: credentials decrypted with its scheme, placement
// (priority, groups, concurrency, served models, proxy), state; every other field either mapped,
// or named in the record's notes as lost (it changed behaviour there) or dropped (it did not).
import { createDecipheriv, createHash, scryptSync } from 'node:crypto'
import type { CrsAccount, CrsAccountKind, CrsGroup } from './crs-read.ts'
import { clip, FieldReader, newNotes, type RecordNotes } from './crs-values.ts'
import { crsGroupName } from './crs-names.ts'
import { modelMapProblem } from '../../accounts/model-map.ts'

/** The incumbent's secret decryption: AES-256-CBC, key scrypt(ENCRYPTION_KEY, salt, 32), `ivhex:cipherhex`. */
export function crsDecrypt (encryptionKey: string, salt: string): (value: string) => string {
  // scrypt is slow by design: once per kind of account, not once per account.
  const id = `${salt}\u0000${encryptionKey}`
  const key = derived.get(id) ?? scryptSync(encryptionKey, salt, 32)
  derived.set(id, key)
  return value => {
    if (!value) return ''
    const [iv, data] = value.split(':')
    // A value that is not in its format was stored in clear (as its own fallback does).
    if (!iv || !data || !/^[0-9a-f]{32}$/i.test(iv)) return value
    const decipher = createDecipheriv('aes-256-cbc', key, Buffer.from(iv, 'hex'))
    return decipher.update(data, 'hex', 'utf8') + decipher.final('utf8')
  }
}

/**
 * Its Bedrock accounts' scheme: AES-256-CBC under sha256(ENCRYPTION_KEY), the value a
 * `{encrypted, iv}` object whose plain text is JSON (`{accessKeyId, …}` or `{token}`).
 */
function bedrockDecrypt (encryptionKey: string): (value: unknown) => Record<string, unknown> {
  const key = createHash('sha256').update(encryptionKey).digest()
  return value => {
    const v = value as { encrypted?: unknown, iv?: unknown } | null
    if (v === null || typeof v !== 'object') return {}
    // A value in clear (its own fallback for old records).
    if (typeof v.encrypted !== 'string' || typeof v.iv !== 'string' || !/^[0-9a-f]{32}$/i.test(v.iv)) return v as Record<string, unknown>
    const decipher = createDecipheriv('aes-256-cbc', key, Buffer.from(v.iv, 'hex'))
    const parsed = JSON.parse(decipher.update(v.encrypted, 'hex', 'utf8') + decipher.final('utf8')) as unknown
    return parsed !== null && typeof parsed === 'object' ? parsed as Record<string, unknown> : {}
  }
}

/** Keys derived for this import run (an import is a short CLI process). */
const derived = new Map<string, Buffer>()

/** Where the incumbent kept an account: found again by a second import. */
export const accountOrigin = (kind: CrsAccountKind, id: string) => `crs:${kind.prefix}${id}`

export interface MappedAccount {
  origin: string
  kind: CrsAccountKind
  wantedName: string
  /** The type's fields, credentials included (checked and sealed by the plan). */
  fields: Record<string, unknown>
  priority: number
  groups: string[]
  maxConcurrency: number | null
  models: string[] | null
  /** The incumbent's `supportedModels` mapping, where it sends a model as another. */
  modelMap: Record<string, string> | null
  proxy: string | null
  /** The incumbent's shared accounts stay in the shared pool when a key is bound to them; dedicated ones never are. */
  shared: boolean | null
  disabled: boolean
  notes: RecordNotes
}

/** Strips what the incumbent keeps in a base URL that ours has not (`/v1/messages` is the route's). */
function consoleBaseUrl (apiUrl: string): string {
  return apiUrl.replace(/\/+$/, '').replace(/\/v1(\/messages)?$/, '')
}

/** The incumbent keeps the origin; our base URL is the SDKs' (with /v1). */
function responsesBaseUrl (baseApi: string): string {
  const url = baseApi.replace(/\/+$/, '')
  return /\/v1$/.test(url) ? url : `${url}/v1`
}

/** The account type's own fields; a string says why the account cannot be imported. */
function bedrockFields (r: FieldReader, encryptionKey: string): Record<string, unknown> | string {
  const open = bedrockDecrypt(encryptionKey)
  const region = r.str('region') ?? 'us-east-1'
  const token = open(r.json('bearerToken')).token
  if (typeof token === 'string' && token && r.str('credentialType') !== 'access_key') return { region, apiKey: token }
  const creds = open(r.json('awsCredentials'))
  const [id, secret, session] = [creds.accessKeyId, creds.secretAccessKey, creds.sessionToken]
  if (typeof id !== 'string' || typeof secret !== 'string' || !id || !secret) return 'no AWS credentials'
  return { region, accessKeyId: id, secretAccessKey: secret, ...(typeof session === 'string' && session ? { sessionToken: session } : {}) }
}

function typeFields (kind: CrsAccountKind, r: FieldReader, decrypt: (v: string) => string): Record<string, unknown> | string {
  const secret = (field: string) => {
    const v = r.str(field)
    return v === undefined ? '' : decrypt(v)
  }
  switch (kind.type) {
    case 'claude-oauth': {
      const accessToken = secret('accessToken')
      if (!accessToken) return 'no access token'
      const refreshToken = secret('refreshToken')
      const email = secret('email')
      const expiresAt = r.num('expiresAt', { max: 8.64e15, integer: true })
      const scopes = r.str('scopes')?.split(' ').filter(Boolean)
      return { accessToken, ...(refreshToken ? { refreshToken } : {}), ...(expiresAt ? { expiresAt } : {}), ...(email ? { email } : {}), ...(scopes?.length ? { scopes } : {}) }
    }
    case 'claude-api-key': {
      const apiKey = secret('apiKey')
      const apiUrl = r.str('apiUrl')
      if (!apiKey) return 'no API key'
      // A CCR relay there gets an Anthropic key as x-api-key and any other as a bearer: the same here.
      const ccr = kind.prefix === 'ccr_account:'
      if (ccr && !apiUrl) return 'no API URL'
      return { apiKey, ...(apiUrl ? { baseUrl: consoleBaseUrl(apiUrl) } : {}), ...(ccr && !apiKey.startsWith('sk-ant-') ? { authStyle: 'bearer' } : {}) }
    }
    case 'openai-api-key': {
      const apiKey = secret('apiKey')
      const baseApi = r.str('baseApi')
      return apiKey ? { apiKey, ...(baseApi ? { baseUrl: responsesBaseUrl(baseApi) } : {}) } : 'no API key'
    }
    case 'azure-openai': {
      // One deployment there serves every model the account takes.
      const apiKey = secret('apiKey')
      const endpoint = r.str('azureEndpoint')
      const deployment = r.str('deploymentName')
      if (!apiKey || !endpoint) return apiKey ? 'no endpoint' : 'no API key'
      if (r.str('apiVersion')) r.notes.dropped.push('apiVersion: Azure\'s v1 API is used, which takes none')
      return { apiKey, endpoint: endpoint.replace(/\/+$/, ''), ...(deployment ? { deployments: { '*': deployment } } : {}) }
    }
    case 'gemini-oauth': {
      const accessToken = secret('accessToken')
      const refreshToken = secret('refreshToken')
      if (!refreshToken && !accessToken) return 'no Google tokens'
      const expiresAt = r.time('expiresAt')
      const project = r.str('projectId') || r.str('tempProjectId')
      // A project that is not a plain id is found again at the first refresh, as for a login here.
      const projectId = project && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(project) ? project : undefined
      // Without a live access token, a placeholder known to be expired: the first use refreshes it.
      return { accessToken: accessToken || 'expired', ...(refreshToken ? { refreshToken } : {}), expiresAt: accessToken ? expiresAt ?? 0 : 0, ...(projectId ? { projectId } : {}) }
    }
    case 'droid': {
      // An API-key account there holds a list of keys, each sealed on its own; a login holds tokens.
      const keys = r.json('apiKeys')
      const entries = Array.isArray(keys) ? keys.filter((e): e is { encryptedKey: string, status?: string } => typeof (e as { encryptedKey?: unknown })?.encryptedKey === 'string' && (e as { status?: unknown }).status !== 'error') : []
      const base = { ...(r.str('organizationId') ? { organizationId: r.str('organizationId') } : {}), ...(r.str('ownerEmail') ? { email: r.str('ownerEmail') } : {}) }
      if (entries.length > 0) {
        if (entries.length > 1) r.notes.lost.push(`apiKeys: ${entries.length - 1} more Factory key(s) on this account: add each as a droid account of its own`)
        return { apiKey: decrypt(entries[0]!.encryptedKey), ...base }
      }
      const accessToken = secret('accessToken')
      const refreshToken = secret('refreshToken')
      if (!accessToken) return 'no Factory API key and no login'
      const expiresAt = r.time('expiresAt')
      return { accessToken, ...(refreshToken ? { refreshToken } : {}), ...(expiresAt ? { expiresAt } : {}), ...base }
    }
    default: {
      const apiKey = secret('apiKey')
      const baseUrl = r.str('baseUrl')
      return apiKey ? { apiKey, ...(baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, '') } : {}) } : 'no API key'
    }
  }
}

/** The incumbent's proxy (`{type, host, port, username, password}`) as a URL, or undefined with a warning. */
export function proxyUrl (r: FieldReader): string | undefined {
  const p = r.json('proxy')
  if (p === undefined || p === null || p === '') return undefined
  const o = p as { type?: unknown, host?: unknown, port?: unknown, username?: unknown, password?: unknown }
  const port = Number(o.port)
  const host = typeof o.host === 'string' ? o.host.trim() : ''
  // A host is a name or an address: no scheme, path, credentials or spaces.
  if (typeof p !== 'object' || !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]{1,253}|[0-9a-fA-F:]+)$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    r.notes.warnings.push('proxy: not a host and port')
    return undefined
  }
  const scheme = o.type === 'socks5' || o.type === 'socks' ? 'socks5' : o.type === 'https' ? 'https' : 'http'
  const user = typeof o.username === 'string' && o.username ? o.username : undefined
  const auth = user ? `${encodeURIComponent(user)}:${encodeURIComponent(typeof o.password === 'string' ? o.password : '')}@` : ''
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `${scheme}://${auth}${h}:${port}`
}

/**
 * One account of the incumbent mapped. `memberOf`: the groups it is a member of. A `skip`
 * result says why it is not imported (its credentials cannot be read).
 */
export function mapAccount (a: CrsAccount, encryptionKey: string, memberOf: readonly CrsGroup[]): MappedAccount | { skip: string, notes: RecordNotes } {
  const notes = newNotes()
  const r = new FieldReader(a.h, notes)
  let fields: Record<string, unknown> | string
  try {
    fields = a.kind.type === 'bedrock' ? bedrockFields(r, encryptionKey) : typeFields(a.kind, r, crsDecrypt(encryptionKey, a.kind.salt))
  } catch {
    fields = 'its credentials do not decrypt with this ENCRYPTION_KEY'
  }
  if (typeof fields === 'string') return { skip: fields, notes }
  // Its Google logins name their OAuth client: Antigravity's are Antigravity accounts here.
  const kind = a.kind.type === 'gemini-oauth' && r.str('oauthProvider') === 'antigravity' ? { ...a.kind, type: 'antigravity-oauth' } : a.kind

  const groups = new Set(memberOf.map(crsGroupName))
  const accountType = r.str('accountType') ?? 'shared'
  const shared = accountType === 'dedicated' ? false : accountType === 'shared' ? true : null
  if (accountType === 'group' && memberOf.length === 0) notes.lost.push('accountType: group, but it is in no group there: here it joins the shared pool')

  let models: string[] | null = null
  let modelMap: Record<string, string> | null = null
  const supported = r.json('supportedModels')
  if (Array.isArray(supported)) {
    const names = supported.filter((m): m is string => typeof m === 'string' && m.length > 0 && m.length <= 128).slice(0, 64)
    if (names.length > 0) models = names
    if (names.length < supported.length) notes.warnings.push(`supportedModels: ${supported.length - names.length} not taken (not a short name, or past 64)`)
  } else if (supported && typeof supported === 'object' && Object.keys(supported).length > 0) {
    const entries = Object.entries(supported as Record<string, unknown>)
    // Its keys are the models the account serves; the pairs that rename become the model map.
    models = entries.map(([from]) => from).filter(from => from.length > 0 && from.length <= 128).slice(0, 64)
    if (models.length === 0) models = null
    const renames = Object.fromEntries(entries.filter(([from, to]) => from !== to))
    if (Object.keys(renames).length > 0) {
      const problem = modelMapProblem(renames)
      if (problem === undefined) modelMap = renames as Record<string, string>
      else notes.lost.push(`supportedModels: a model mapping this relay cannot take (${clip(problem, 80)}): the model the client asked for is sent`)
    }
  }

  // Its Bedrock accounts send every request as their `defaultModel` (it wins over the client's model there).
  const defaultModel = a.kind.type === 'bedrock' ? r.str('defaultModel') : undefined
  if (defaultModel !== undefined) {
    const map = { '*': defaultModel }
    if (modelMapProblem(map) === undefined) modelMap = map
    else notes.lost.push(`defaultModel: ${clip(defaultModel, 60)} is not a model id this relay can send: the model the client asked for is sent`)
  }

  const priority = r.num('priority', { min: 1, max: 100, integer: true }) ?? 50
  const maxConcurrency = r.num('maxConcurrentTasks', { min: 1, max: 100_000, integer: true }) ?? null
  const proxy = proxyUrl(r) ?? null
  const disabled = r.bool('isActive') === false || r.bool('schedulable') === false

  if (r.num('dailyQuota', { max: 1e9 })) notes.lost.push('dailyQuota: a daily cost quota per account; limits here are per key')
  if (r.str('userAgent')) notes.dropped.push('userAgent (this relay sends upstream the user agent of the client)')
  if (r.bool('disableAutoProtection')) notes.lost.push('disableAutoProtection: this relay always cools an account down after 429/529 and stops using it after 401')
  if (r.bool('interceptWarmup')) notes.lost.push('interceptWarmup: warm-up requests are sent upstream here')
  if (r.str('providerEndpoint') === 'auto') notes.lost.push('providerEndpoint: auto (Chat Completions through a Responses account) has no counterpart yet')
  if (a.kind.type === 'droid' && r.str('endpointType')) notes.dropped.push(`endpointType: ${clip(r.str('endpointType')!, 20)} (a droid account here serves the three formats)`)
  if (r.str('description')) notes.dropped.push('description')
  if (r.str('subscriptionExpiresAt')) notes.dropped.push('subscriptionExpiresAt (a note for the operator)')
  if (r.num('rateLimitDuration', { max: 1e9 }) !== undefined && r.str('rateLimitDuration') !== '60') notes.dropped.push('rateLimitDuration: cooldowns here follow the provider\'s own reset times')

  return {
    origin: accountOrigin(a.kind, a.id), kind, wantedName: r.str('name') ?? a.id, fields, priority,
    groups: [...groups].sort(), maxConcurrency, models, modelMap, proxy, shared, disabled, notes,
  }
}

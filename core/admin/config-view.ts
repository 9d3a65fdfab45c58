// The configuration in force, for the admin console to read: every value the file (and its
// ${ENV} references) set, with secrets replaced. A value is a secret when its account type says
// so (the plugin's `secretFields`), when its name says so (…token, …secret, …password, …key,
// credentials, authorization, cookie), or when it sits in a URL: a URL's password and query
// values are masked everywhere, and notification URLs (webhooks carry their token in the path)
// show their origin only.

export const REDACTED = '[redacted]'

const SECRET_NAME = /(token|secret|password|passwd|key|credentials?|authorization|cookie)$/i

/** A URL's password and query values masked; `originOnly`: only scheme, host and port kept. */
export function redactUrl (value: string, originOnly: boolean): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return value
  }
  if (!/^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) || url.host === '') return value
  if (originOnly) return `${url.protocol}//${url.host}/…`
  // Nothing to hide: the value as written (URL would add a trailing slash).
  if (url.password === '' && url.username === '' && url.search === '') return value
  if (url.password !== '') url.password = REDACTED
  else if (url.username !== '') url.username = REDACTED
  for (const name of [...url.searchParams.keys()]) url.searchParams.set(name, REDACTED)
  return url.toString()
}

export interface RedactOptions {
  /** The secret fields of an account of this provider and type (none when unknown: then all but a few plain ones go). */
  secretFieldsOf: (provider: unknown, type: unknown) => readonly string[] | undefined
}

const ACCOUNT_PLAIN = new Set(['name', 'provider', 'type', 'priority', 'groups', 'maxConcurrency', 'models', 'modelMap', 'proxy', 'shared', 'disabled', 'baseUrl'])

function walk (value: unknown, path: readonly string[], opts: RedactOptions, depth: number): unknown {
  if (depth > 32) return REDACTED
  if (typeof value === 'string') return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactUrl(value, path[0] === 'notifications') : value
  if (Array.isArray(value)) return value.map(v => walk(v, path, opts, depth + 1))
  if (value === null || typeof value !== 'object') return value
  const record = value as Record<string, unknown>
  const isAccount = path.length === 1 && path[0] === 'accounts'
  const accountSecrets = isAccount ? opts.secretFieldsOf(record.provider, record.type) : undefined
  const out: Record<string, unknown> = {}
  for (const [name, v] of Object.entries(record)) {
    const secret = SECRET_NAME.test(name) ||
      (isAccount && (accountSecrets ? accountSecrets.includes(name) : !ACCOUNT_PLAIN.has(name)))
    out[name] = secret && v !== null && v !== undefined && v !== '' ? REDACTED : walk(v, [...path, name], opts, depth + 1)
  }
  return out
}

/** A deep copy of the config with every secret replaced by `[redacted]`. */
export function redactConfig (config: unknown, opts: RedactOptions): unknown {
  return walk(config, [], opts, 0)
}

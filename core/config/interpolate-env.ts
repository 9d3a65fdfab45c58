// `${VAR}` and `${VAR:-default}` in config strings, replaced before validation so the schema
// sees the final values. An unset variable without a default is an error naming it (and where
// it was used), never silently an empty string: an empty API key would fail much later.
const pattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export function interpolateEnv (
  value: unknown,
  env: NodeJS.ProcessEnv,
  onError: (path: string, message: string) => void,
  path = '',
): unknown {
  if (typeof value === 'string') {
    return value.replace(pattern, (_m, name: string, fallback: string | undefined) => {
      const v = env[name]
      if (v !== undefined && v !== '') return v
      if (fallback !== undefined) return fallback
      onError(path, `environment variable ${name} is not set`)
      return ''
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, onError, `${path}/${i}`))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, onError, `${path}/${k}`)
    return out
  }
  return value
}

// What every CLI command shares: its input and output, the parsed options, and the small
// output helpers. Kept apart from main.ts (which imports every command) so that commands do not
// import the module that imports them.
export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  env: NodeJS.ProcessEnv
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
}

export interface CliValues {
  config?: string
  json: boolean
  name?: string
  expires?: string
  provider?: string
  type?: string
  priority?: string
  set: string[]
  'secret-env': string[]
  account?: string
  group: string[]
  bind: string[]
  'max-concurrency'?: string
  models: string[]
  'model-map': string[]
  'proxy-env'?: string
  policy?: string
  since?: string
  until?: string
  by: string
  url?: string
  redis?: string
  from?: string
  to?: string
  'encryption-key'?: string
  'encryption-key-env'?: string
  model?: string
  status?: string
  ip?: string
  limit?: string
  key?: string
  mount?: string
  unpriced: boolean
  apply: boolean
  'dry-run': boolean
  'allow-lossy': boolean
  'gap-seconds'?: string
  'body-mb'?: string
  help: boolean
}

/** Whichever command created the credential encryption key says so, once. */
export function warnNewSecretKey (file: string, io: CliIo): void {
  io.err(`WARNING: generated a new credential encryption key in ${file} (mode 0600).`)
  io.err('         Back it up apart from the data, or set RELAY_SECRET_KEY (openssl rand -hex 32).')
}

/** Pads columns for terminal output. */
export function table (rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

export function isoOrDash (ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString()
}

// A live price source (`pricing.sources`): a LiteLLM-format price file at a URL, fetched through
// the relay's egress, checked, and kept on disk as the last good copy. What reaches the price
// table has passed every check here; a source that is down, slow, truncated, hostile or emptied
// leaves the copy in force as it was, so a bad source never removes a price.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readText, request, type Dispatcher } from '../http-client.ts'
import { readLiteLLMPrices } from './litellm-prices.ts'
import type { PriceTable } from './price-table.ts'

/** LiteLLM's file is ~1.6 MB (December 2026); room to grow, not to be flooded. */
export const SOURCE_LIMIT = 32 * 1024 * 1024
/** A sha256 file holds a hash and maybe a file name. */
const HASH_LIMIT = 4096
/** A table that lost more than half the models of the last good copy is a broken file, not a price change. */
const MIN_KEPT_SHARE = 0.5
const FETCH_TIMEOUT_MS = 120_000

export interface PriceSourceConfig {
  url: string
  sha256Url?: string
}

/** The last good copy of a source: the text as fetched and what was read from it. */
export interface SourceCopy {
  url: string
  sha256: string
  fetchedAt: number
  etag?: string
  lastModified?: string
  table: PriceTable
  /** Entries left out, with why (a zero price, a hostile rate). */
  skipped: string[]
}

export type RefreshResult =
  | { outcome: 'updated', copy: SourceCopy, previous: SourceCopy | undefined }
  | { outcome: 'unchanged' }
  | { outcome: 'failed', reason: string }

export class PriceSourceError extends Error {
  code = 'RELAY_ERR_PRICE_SOURCE'
}

/** Where a source's copy lives in the data dir: named by its URL's hash (URLs are not file names). */
export function copyPaths (dir: string, url: string): { body: string, meta: string } {
  const slug = createHash('sha256').update(url).digest('hex').slice(0, 16)
  return { body: join(dir, `${slug}.json`), meta: join(dir, `${slug}.meta.json`) }
}

function sha256 (text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * A source's URL as shown in logs, the admin API and `prices list`: a private mirror's
 * credentials (user:password@, ?token=) never leave the config.
 */
export function redactUrl (raw: string): string {
  try {
    const u = new URL(raw)
    if (u.username || u.password) {
      u.username = '***'
      u.password = ''
    }
    for (const k of [...new Set(u.searchParams.keys())]) u.searchParams.set(k, '***')
    return u.toString()
  } catch {
    return '(not a URL)'
  }
}

/** Version recorded on each request priced by this source: its host and content hash. */
function versionOf (url: string, hash: string): string {
  let host = 'source'
  try {
    host = new URL(url).host
  } catch {}
  return `source:${host}:${hash.slice(0, 12)}`
}

/**
 * Reads and checks a price file's text. Throws PriceSourceError with the reason when it is not
 * one the relay may bill by; `previous` (the last good copy) catches a file that was emptied.
 */
export function checkPriceText (url: string, text: string, previous?: SourceCopy): { table: PriceTable, skipped: string[], sha256: string } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new PriceSourceError('the file is not JSON (truncated?)')
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new PriceSourceError('the file is not a JSON object of model prices')
  const hash = sha256(text)
  const { table, skipped } = readLiteLLMPrices(json, versionOf(url, hash))
  const count = Object.keys(table.models).length
  if (count === 0) throw new PriceSourceError('the file holds no usable model price')
  const before = previous ? Object.keys(previous.table.models).length : 0
  if (count < before * MIN_KEPT_SHARE) throw new PriceSourceError(`the file prices ${count} models where the last good copy priced ${before}: kept the last good copy`)
  return { table, skipped, sha256: hash }
}

/** The last good copy on disk, checked as a fetched one is; undefined when there is none or it is unreadable. */
export function loadCopy (dir: string, url: string): SourceCopy | undefined {
  const paths = copyPaths(dir, url)
  let text: string
  let meta: Partial<SourceCopy> = {}
  try {
    text = readFileSync(paths.body, 'utf8')
  } catch {
    return undefined
  }
  try {
    meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as Partial<SourceCopy>
  } catch {}
  try {
    const { table, skipped, sha256: hash } = checkPriceText(url, text)
    return {
      url,
      sha256: hash,
      fetchedAt: typeof meta.fetchedAt === 'number' ? meta.fetchedAt : 0,
      // The validators belong to the text they came with: a copy whose hash differs is not theirs.
      ...(meta.sha256 === hash && typeof meta.etag === 'string' ? { etag: meta.etag } : {}),
      ...(meta.sha256 === hash && typeof meta.lastModified === 'string' ? { lastModified: meta.lastModified } : {}),
      table,
      skipped,
    }
  } catch {
    return undefined
  }
}

/** Writes a copy so that a crash leaves the old one or the new one, never half of either. */
function saveCopy (dir: string, copy: SourceCopy, text: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const paths = copyPaths(dir, copy.url)
  const write = (path: string, data: string) => {
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, data, { mode: 0o600 })
    renameSync(tmp, path)
  }
  write(paths.body, text)
  write(paths.meta, JSON.stringify({ url: redactUrl(copy.url), sha256: copy.sha256, fetchedAt: copy.fetchedAt, etag: copy.etag, lastModified: copy.lastModified }))
}

/** The hash a `sha256Url` advertises: the first 64 hex digits of its text (`sha256sum` output or a bare hash). */
export function parseAdvertisedHash (text: string): string | undefined {
  return /^\s*([0-9a-fA-F]{64})\b/.exec(text)?.[1]?.toLowerCase()
}

export interface SourceDeps {
  dir: string
  dispatcher: Dispatcher
  now: () => number
  /** How long one fetch may take, headers to last byte (default 2 minutes). */
  timeoutMs?: number
}

/** One configured source: its copy in force, and how to fetch a newer one. */
export class PriceSource {
  /** The URL as shown (credentials masked); the real one stays private. */
  readonly label: string
  readonly hashLabel: string | undefined
  readonly #url: string
  readonly #sha256Url: string | undefined
  copy: SourceCopy | undefined
  lastError: { at: number, reason: string } | undefined
  checkedAt: number | undefined
  #deps: SourceDeps

  constructor (config: PriceSourceConfig, deps: SourceDeps, copy = loadCopy(deps.dir, config.url)) {
    this.#url = config.url
    this.#sha256Url = config.sha256Url
    this.label = redactUrl(config.url)
    this.hashLabel = config.sha256Url === undefined ? undefined : redactUrl(config.sha256Url)
    this.#deps = deps
    this.copy = copy
  }

  /** Whether it advertises a hash to poll. */
  get polled (): boolean {
    return this.#sha256Url !== undefined
  }

  async #get (url: string, headers: Record<string, string>, limit: number): Promise<{ status: number, text: string, headers: Record<string, string | string[] | undefined> }> {
    // A URL's user:password (a private mirror) is sent as Basic auth: a request carries only its
    // origin and path.
    const u = new URL(url)
    const auth: Record<string, string> = u.username || u.password
      ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` }
      : {}
    const res = await request(u, {
      dispatcher: this.#deps.dispatcher,
      headers: { 'user-agent': 'ai-relay-sidecar (price refresh)', accept: 'application/json, text/plain', ...auth, ...headers },
      signal: AbortSignal.timeout(this.#deps.timeoutMs ?? FETCH_TIMEOUT_MS),
    })
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {})
      return { status: res.statusCode, text: '', headers: res.headers }
    }
    return { status: 200, text: await readText(res.body, limit), headers: res.headers }
  }

  /** The hash the source advertises now; undefined without a `sha256Url`. Throws when it cannot be read. */
  async advertisedHash (): Promise<string | undefined> {
    if (!this.#sha256Url) return undefined
    const res = await this.#get(this.#sha256Url, {}, HASH_LIMIT)
    if (res.status !== 200) throw new PriceSourceError(`${this.hashLabel} answered ${res.status}`)
    const hash = parseAdvertisedHash(res.text)
    if (!hash) throw new PriceSourceError(`${this.hashLabel} holds no sha256`)
    return hash
  }

  /**
   * Polls the advertised hash: fetches the file only when it differs from the copy in force.
   * Without a `sha256Url`, the same as refresh().
   */
  async poll (): Promise<RefreshResult> {
    if (!this.#sha256Url) return this.refresh()
    let hash: string | undefined
    try {
      hash = await this.advertisedHash()
    } catch (err) {
      return this.#failed(err)
    }
    if (hash === this.copy?.sha256) {
      this.checkedAt = this.#deps.now()
      return { outcome: 'unchanged' }
    }
    return this.refresh({ expectHash: hash })
  }

  /**
   * Fetches the file (conditionally, when the copy in force has validators), checks it, and on
   * success saves it as the last good copy. Never throws: a failure is reported and changes nothing.
   */
  async refresh (opts: { expectHash?: string, force?: boolean } = {}): Promise<RefreshResult> {
    try {
      const previous = this.copy
      const conditional: Record<string, string> = {}
      if (previous && !opts.force) {
        if (previous.etag) conditional['if-none-match'] = previous.etag
        if (previous.lastModified) conditional['if-modified-since'] = previous.lastModified
      }
      const res = await this.#get(this.#url, conditional, SOURCE_LIMIT)
      if (res.status === 304 && previous) {
        this.checkedAt = this.#deps.now()
        this.lastError = undefined
        return { outcome: 'unchanged' }
      }
      if (res.status !== 200) throw new PriceSourceError(`${this.label} answered ${res.status}`)
      // With a sha256Url, the file must be the one it advertises (a half-published update, a
      // tampering mirror): asked now when the poll did not already.
      const expect = opts.expectHash ?? (this.#sha256Url ? await this.advertisedHash() : undefined)
      const checked = checkPriceText(this.#url, res.text, previous)
      if (expect !== undefined && checked.sha256 !== expect) throw new PriceSourceError(`the file's sha256 ${checked.sha256.slice(0, 12)}… is not the advertised ${expect.slice(0, 12)}…`)
      this.checkedAt = this.#deps.now()
      this.lastError = undefined
      if (previous && previous.sha256 === checked.sha256) return { outcome: 'unchanged' }
      const header = (name: string) => {
        const v = res.headers[name]
        return typeof v === 'string' && v.length <= 200 ? v : undefined
      }
      const copy: SourceCopy = {
        url: this.#url,
        sha256: checked.sha256,
        fetchedAt: this.checkedAt,
        ...(header('etag') ? { etag: header('etag') } : {}),
        ...(header('last-modified') ? { lastModified: header('last-modified') } : {}),
        table: checked.table,
        skipped: checked.skipped,
      }
      try {
        saveCopy(this.#deps.dir, copy, res.text)
      } catch (err) {
        // Billing by the new prices does not wait for the disk; the next start may use an older copy.
        this.lastError = { at: this.checkedAt, reason: `the copy could not be saved in ${this.#deps.dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})` }
      }
      this.copy = copy
      return { outcome: 'updated', copy, previous }
    } catch (err) {
      return this.#failed(err)
    }
  }

  #failed (err: unknown): RefreshResult {
    const e = err as NodeJS.ErrnoException
    const reason = err instanceof PriceSourceError
      ? e.message
      : e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT'
        ? `${this.label} did not answer in time`
        : e?.code === 'RELAY_ERR_UPSTREAM_TOO_LARGE'
          ? `the file is larger than ${SOURCE_LIMIT} bytes`
          : `${this.label} could not be fetched (${e?.code ?? 'error'})`
    this.lastError = { at: this.#deps.now(), reason }
    return { outcome: 'failed', reason }
  }
}

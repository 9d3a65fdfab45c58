// `ai-relay doctor --url <public base URL> --key <test key>`: probes a live deployment from the
// outside, through the gateway as the clients meet it, and names what is misconfigured with the
// fix for nginx and for Caddy. It talks to the sidecar's probe endpoints under a mount
// (`{mount}/_relay/probe/...`, gateway-probe.ts), so its requests take the relay's own way.
import { isIP } from 'node:net'
import type { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { createParser } from 'eventsource-parser'
import { request, webSocketClass } from '../http-client.ts'
import type { CliIo } from './cli-io.ts'

export interface DoctorOptions {
  url: string
  key: string
  /** The mount to probe through (default: the first of /claude, /openai, /gemini, /api that answers). */
  mount?: string
  /** The silence a stream must survive (default 75 s: above nginx's 60 s default). */
  gapSeconds: number
  /** The body that must pass (default 20 MB). */
  bodyMb: number
  /** How long a first event may take before the answer counts as buffered. */
  firstEventMs?: number
}

export interface Finding {
  check: 'transport' | 'reach' | 'underscores' | 'spoofing' | 'body' | 'buffering' | 'timeout' | 'websocket'
  ok: boolean
  detail: string
  fix?: string
}

const FIXES: Record<Finding['check'], string> = {
  transport: 'serve the relay over HTTPS: nginx `listen 443 ssl` with a certificate (see nginx/example-site.conf); Caddy gets one by itself for a domain name',
  reach: 'route the relay\'s mounts to the sidecar: nginx relay-locations.conf (the mount list in its first location); Caddy `import ai_relay`',
  underscores: 'nginx: `underscores_in_headers on;` in http {} (relay-http.conf) or in the default server of the address; Caddy: do not delete such headers (`request_header -*_*`)',
  spoofing: 'nginx: `include .../relay-identity.conf;` (relay-proxy.conf, relay-client.conf); Caddy: `import ai_relay_client_headers` (in ai_relay)',
  body: 'nginx: `client_max_body_size 64m;` (relay-proxy.conf); Caddy: `request_body { max_size 64MB }`',
  buffering: 'nginx: `proxy_buffering off;` (relay-proxy.conf); Caddy: `flush_interval -1` and no `buffer_responses`',
  timeout: 'nginx: `proxy_read_timeout 3600s;` (relay-proxy.conf); Caddy: no `read_timeout` on the reverse_proxy transport',
  websocket: 'nginx: `proxy_set_header Upgrade $http_upgrade;` and `proxy_set_header Connection $connection_upgrade;` with the map of relay-http.conf; Caddy passes upgrades by itself',
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[?::1\]?)$/i

/** Plain HTTP is a problem unless the address is this machine (a test) or a private network's. */
export function transportFinding (url: URL): Finding {
  if (url.protocol === 'https:') return { check: 'transport', ok: true, detail: 'HTTPS' }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const privateIp = isIP(host) === 4 && /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host)
  if (LOOPBACK.test(host) || privateIp) return { check: 'transport', ok: true, detail: `plain HTTP on ${host}, a local or private address` }
  return { check: 'transport', ok: false, detail: `plain HTTP to ${host}: relay keys and prompts cross the network in clear`, fix: FIXES.transport }
}

function authHeaders (key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` }
}

/** The echo's answer, or why there is none. */
async function echo (base: string, key: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number, json?: { headers: Record<string, string>, bodyBytes: number }, error?: string }> {
  try {
    const res = await request(`${base}/_relay/probe/echo`, { method: 'POST', headers: { ...authHeaders(key), 'content-type': 'application/octet-stream', ...headers }, body: body ?? Buffer.from('probe') })
    const text = await res.body.text()
    try {
      return { status: res.statusCode, json: JSON.parse(text) as { headers: Record<string, string>, bodyBytes: number } }
    } catch {
      return { status: res.statusCode }
    }
  } catch (err) {
    return { status: 0, error: (err as Error).message }
  }
}

async function findMount (url: string, key: string, wanted: string | undefined): Promise<{ base: string, mount: string } | Finding> {
  const candidates = wanted ? [wanted] : ['/claude', '/openai', '/gemini', '/api']
  let last = ''
  for (const mount of candidates) {
    const base = `${url.replace(/\/+$/, '')}${mount}`
    const r = await echo(base, key, {})
    if (r.status === 200 && r.json) return { base, mount }
    if (r.status === 401 && r.json) return { check: 'reach', ok: false, detail: 'the relay refused the key given with --key', fix: 'create a test key: ai-relay keys create --name doctor' }
    last = r.error ? `${mount}: ${r.error}` : `${mount}: HTTP ${r.status}`
  }
  return { check: 'reach', ok: false, detail: `no mount reached the relay (${last})`, fix: FIXES.reach }
}

/** Reads an event stream, calling `onEvent` for each event's data; resolves when it ends, rejects when it breaks. */
async function readEvents (body: AsyncIterable<Buffer>, onEvent: (data: string) => void): Promise<void> {
  const parser = createParser({ onEvent: ev => onEvent(ev.data) })
  const decoder = new TextDecoder()
  for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }))
}

/** The body as sent, whatever compression the gateway added (flushed as it arrives). */
function decoded (body: Readable, encoding: string | string[] | undefined): AsyncIterable<Buffer> {
  const e = String(encoding ?? '').trim().toLowerCase()
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }
  if (e === 'gzip') return body.pipe(zlib.createGunzip(flush))
  if (e === 'deflate') return body.pipe(zlib.createInflate(flush))
  if (e === 'br') return body.pipe(zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }))
  return body
}

async function bufferingFinding (base: string, key: string, firstEventMs: number): Promise<Finding> {
  const ac = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let seen = 0
  let rearm = () => {}
  // From the moment it is asked: a gateway holding the answer back may hold its headers too.
  const stalled = new Promise<'stalled'>(resolve => {
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => resolve('stalled'), firstEventMs) }
    arm()
    rearm = arm
  })
  const probe = async (): Promise<'ended' | 'broken' | Finding> => {
    // Asked as the clients ask (they accept compression): a gateway that compresses event
    // streams may hold them back until its compression buffer fills.
    const res = await request(`${base}/_relay/probe/stream?events=3`, { headers: { ...authHeaders(key), accept: 'text/event-stream', 'accept-encoding': 'gzip, deflate, br' }, signal: ac.signal })
    if (res.statusCode !== 200) {
      await res.body.dump()
      return { check: 'buffering', ok: false, detail: `the probe stream answered HTTP ${res.statusCode}` }
    }
    return readEvents(decoded(res.body, res.headers['content-encoding']), data => {
      const { n, id } = JSON.parse(data) as { n?: number, id?: string }
      if (typeof n !== 'number') return
      seen = n
      // Each acknowledgement lets the next event go: only an unbuffered answer gets them all quickly.
      rearm()
      void request(`${base}/_relay/probe/ack?id=${encodeURIComponent(id ?? '')}`, { method: 'POST', headers: authHeaders(key) }).then(r => r.body.dump(), () => {})
    }).then(() => 'ended' as const, () => 'broken' as const)
  }
  try {
    const outcome = await Promise.race([probe(), stalled])
    if (typeof outcome === 'object') return outcome
    if (outcome === 'ended' && seen === 3) return { check: 'buffering', ok: true, detail: 'each event arrived as it was sent' }
    return { check: 'buffering', ok: false, detail: seen === 0 ? `the first event did not arrive within ${firstEventMs} ms: the answer is held back` : `event ${seen + 1} did not arrive within ${firstEventMs} ms of its predecessor`, fix: FIXES.buffering }
  } catch (err) {
    return { check: 'buffering', ok: false, detail: `the probe stream failed: ${(err as Error).message}`, fix: FIXES.buffering }
  } finally {
    clearTimeout(timer)
    ac.abort()
  }
}

async function timeoutFinding (base: string, key: string, gapSeconds: number): Promise<Finding> {
  const events: string[] = []
  try {
    const res = await request(`${base}/_relay/probe/stream?events=2&gapMs=${gapSeconds * 1000}`, { headers: { ...authHeaders(key), accept: 'text/event-stream' }, bodyTimeout: (gapSeconds + 60) * 1000 })
    if (res.statusCode !== 200) {
      await res.body.dump()
      return { check: 'timeout', ok: false, detail: `the probe stream answered HTTP ${res.statusCode}`, fix: FIXES.timeout }
    }
    await readEvents(res.body, data => events.push(data))
  } catch (err) {
    return { check: 'timeout', ok: false, detail: `a stream silent for ${gapSeconds} s was cut (${(err as Error).message})`, fix: FIXES.timeout }
  }
  // Two probe events and the closing one: anything less was cut at the silence.
  if (events.length >= 3) return { check: 'timeout', ok: true, detail: `a stream silent for ${gapSeconds} s arrived whole` }
  return { check: 'timeout', ok: false, detail: `a stream silent for ${gapSeconds} s was cut after ${events.length} event(s)`, fix: FIXES.timeout }
}

async function websocketFinding (base: string, key: string): Promise<Finding> {
  const url = `${base.replace(/^http/, 'ws')}/_relay/probe/ws`
  const WebSocket = await webSocketClass()
  return new Promise<Finding>(resolve => {
    const ws = new WebSocket(url, { headers: authHeaders(key) } as never)
    const timer = setTimeout(() => { ws.close(); resolve({ check: 'websocket', ok: false, detail: 'no WebSocket answer within 10 s', fix: FIXES.websocket }) }, 10_000)
    ws.addEventListener('close', ev => {
      clearTimeout(timer)
      if (ev.code === 1000 && ev.reason === 'ai-relay probe ok') resolve({ check: 'websocket', ok: true, detail: 'upgrades reach the relay (Codex\'s WebSocket mode works)' })
      else resolve({ check: 'websocket', ok: false, detail: `the upgrade did not reach the relay (closed with ${ev.code})`, fix: FIXES.websocket })
    })
    ws.addEventListener('error', () => {})
  })
}

export async function doctor (opts: DoctorOptions): Promise<Finding[]> {
  const url = new URL(opts.url)
  const findings: Finding[] = [transportFinding(url)]
  const found = await findMount(url.href, opts.key, opts.mount)
  if ('check' in found) return [...findings, found]
  const { base, mount } = found
  findings.push({ check: 'reach', ok: true, detail: `the relay answers at ${mount}` })
  const size = Math.round(opts.bodyMb * 1024 * 1024)
  const [headers, body, buffering, timeout, websocket] = await Promise.all([
    echo(base, opts.key, { session_id: 'doctor-underscore', 'session-id': 'doctor-dash', 'x-relay-key-id': 'doctor-spoof', x_relay_key_name: 'doctor-spoof', 'x-forwarded-user': 'doctor-spoof', x_forwarded_user: 'doctor-spoof' }),
    echo(base, opts.key, {}, Buffer.alloc(size, 0x61)),
    bufferingFinding(base, opts.key, opts.firstEventMs ?? 5000),
    timeoutFinding(base, opts.key, opts.gapSeconds),
    websocketFinding(base, opts.key),
  ])
  const seen = headers.json?.headers ?? {}
  findings.push(seen.session_id === 'doctor-underscore'
    ? { check: 'underscores', ok: true, detail: 'headers with underscores pass (older Codex releases\' session_id)' }
    : { check: 'underscores', ok: false, detail: 'a header with an underscore (session_id) was dropped: older Codex releases lose their conversation\'s account', fix: FIXES.underscores })
  // In any spelling: behind the gateway, X_Relay_Key_Name is read as X-Relay-Key-Name by many.
  const spoofed = Object.entries(seen).filter(([, v]) => v === 'doctor-spoof').map(([k]) => k)
  findings.push(spoofed.length > 0
    ? { check: 'spoofing', ok: false, detail: `a client's own identity headers reach the relay and what is behind the gateway (${spoofed.join(', ')})`, fix: FIXES.spoofing }
    : { check: 'spoofing', ok: true, detail: 'a client\'s X-Relay-* and X-Forwarded-User headers are stripped, in every spelling' })
  findings.push(body.status === 200 && body.json?.bodyBytes === size
    ? { check: 'body', ok: true, detail: `a ${opts.bodyMb} MB body passes` }
    : { check: 'body', ok: false, detail: `a ${opts.bodyMb} MB body was refused (${body.error ?? `HTTP ${body.status}`}): long Claude Code contexts would fail`, fix: FIXES.body })
  findings.push(buffering, timeout, websocket)
  return findings
}

export async function doctorCommand (values: { url?: string, key?: string, mount?: string, 'gap-seconds'?: string, 'body-mb'?: string, json: boolean }, io: CliIo): Promise<number> {
  const key = values.key ?? io.env.RELAY_KEY
  if (!values.url || !key) {
    io.err('usage: ai-relay doctor --url https://your-domain --key <a test key> [--mount /claude] [--gap-seconds 75] [--body-mb 20] [--json]\n       (or the key in RELAY_KEY)')
    return 2
  }
  const gapSeconds = Number(values['gap-seconds'] ?? 75)
  const bodyMb = Number(values['body-mb'] ?? 20)
  if (!Number.isFinite(gapSeconds) || gapSeconds < 0 || gapSeconds > 600 || !Number.isFinite(bodyMb) || bodyMb <= 0 || bodyMb > 512) {
    io.err('--gap-seconds must be 0-600 and --body-mb 0-512')
    return 2
  }
  if (!values.json) io.err(`Probing ${values.url} (a ${gapSeconds} s silent stream takes that long)...`)
  const findings = await doctor({ url: values.url, key, mount: values.mount, gapSeconds, bodyMb })
  if (values.json) {
    io.out(JSON.stringify(findings, null, 2))
  } else {
    for (const f of findings) {
      io.out(`${f.ok ? 'ok     ' : 'PROBLEM'}  ${f.check.padEnd(11)}  ${f.detail}`)
      if (f.fix) io.out(`         ${''.padEnd(11)}  fix: ${f.fix}`)
    }
  }
  return findings.every(f => f.ok) ? 0 : 1
}

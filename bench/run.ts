// What the relay costs a request, measured against the floor in the same run (these machines are
// shared and noisy, so only ratios and differences mean anything):
//   floor    nginx (the project's kit) → mock upstream
//   relay    nginx → sidecar → mock upstream
//   sidecar  client → sidecar → mock (no gateway)
// req/s come from a load generator (wrk when installed, else autocannon); latency percentiles
// from a closed-loop keep-alive Node client (bench/latency-client.ts) whose latencies agree with
// its own throughput. The sidecar runs as production does: the esbuild build (bin/ai-relay.js).
// Then memory: idle RSS, 1,000 concurrent slow streams, RSS growth over 100,000 requests; and
// the JSON case with the Redis store when redis-server is installed.
//
//   npm run bench                       (BENCH_SECONDS=10 for longer runs)
//   npm run bench -- --quick            a tiny run of every part (what npm test checks)
//   npm run bench -- --out FILE         where the JSON goes (default bench/results/<time>.json)
//   npm run bench -- --only json-64,stream-16   just these throughput rows (no memory, no Redis)
//   BENCH_REPORT_SLOW_MS=100 npm run bench      every request slower than that, on stderr
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { startNginx } from '../tests/helpers/nginx.ts'
import { startRedis } from '../tests/helpers/redis.ts'
import { findBinary, freePort } from '../tests/helpers/processes.ts'
import { HEADERS, PATH, ROOT, body, cpuSeconds, inspectorSession, inspectorUrl, latency as runLatency, rssMiB, runCleanups, scope, startBareHop, startMock, startSidecar, type Latency } from './harness.ts'

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' } } })
const QUICK = args.quick
const SECONDS = QUICK ? 1 : Number(process.env.BENCH_SECONDS ?? 5)

/** How long the growth part waits for V8's memory reducer once the load stops. */
const QUIET_MS = 40_000

/**
 * RSS once the process has been idle a moment: the least of samples over `ms`, so a reading
 * never lands on a moment of a GC cycle. Within a few seconds RSS barely shrinks (V8 keeps the
 * heap it grew until its memory reducer runs, 10–30 s after the process goes quiet).
 */
async function settledRssMiB (pid: number, ms: number): Promise<number> {
  let least = rssMiB(pid)
  for (const end = Date.now() + ms; Date.now() < end;) {
    await new Promise(resolve => setTimeout(resolve, 100))
    least = Math.min(least, rssMiB(pid))
  }
  return least
}

/**
 * The sidecar's live heap: a full GC through its inspector (started with --inspect), then
 * process.memoryUsage().heapUsed. What a leak grows, unlike RSS, which only shows where V8's
 * heap reservation peaked (it does not shrink when the relay goes idle).
 */
async function heapAfterGcMiB (inspector: string): Promise<number> {
  const session = await inspectorSession(inspector)
  try {
    await session.call('HeapProfiler.collectGarbage')
    const r = await session.call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true })
    return Math.round(Number(r.result.value) / 1048576 * 10) / 10
  } finally {
    session.close()
  }
}

/** The latency client for SECONDS unless told a number of requests or other seconds. */
const latency = (url: string, connections: number, stream: boolean, opts: { seconds?: number, requests?: number } = {}) =>
  runLatency(url, connections, stream, opts.requests ? { requests: opts.requests } : { seconds: opts.seconds ?? SECONDS })

const WRK = findBinary('wrk')

/** Requests per second from the load generator. */
async function throughput (url: string, connections: number, stream: boolean): Promise<number> {
  if (WRK) {
    const dir = mkdtempSync(join(tmpdir(), 'relay-bench-wrk-'))
    const script = join(dir, 'post.lua')
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body(stream))}\nwrk.headers["content-type"] = "application/json"\n${Object.entries(HEADERS).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`).join('\n')}\n`)
    const r = spawnSync(WRK, ['-t', connections > 1 ? '2' : '1', '-c', String(connections), '-d', `${SECONDS}s`, '-s', script, url], { encoding: 'utf8' })
    rmSync(dir, { recursive: true, force: true })
    const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)
    return m ? Number(m[1]) : NaN
  }
  const r = await autocannon({ url, method: 'POST', connections, duration: SECONDS, headers: { 'content-type': 'application/json', ...HEADERS }, body: body(stream) })
  return r.requests.average
}

interface Measured extends Latency { loadRps: number }

async function measure (url: string, connections: number, stream: boolean): Promise<Measured> {
  const loadRps = await throughput(url, connections, stream)
  return { ...await latency(url, connections, stream), loadRps }
}

/** A key as a team would give its members: a concurrency limit, a rate window and a daily budget, none reached. */
const LIMITED_POLICY = { concurrency: 64, rateLimits: [{ window: '1m', requests: 100_000_000 }], budgets: { dailyUsd: 1_000_000 } }

interface JsonRun extends Measured { connections: number, cpuMicrosPerRequest: number }

/** The JSON case at `connections` against one process, with the CPU it spent per request. */
async function measureJson (pid: number, url: string, connections = 16): Promise<JsonRun> {
  const cpu0 = cpuSeconds(pid)
  const run = await measure(url, connections, false)
  // The load generator's requests are counted from its rate over the same seconds.
  return { connections, ...run, cpuMicrosPerRequest: (cpuSeconds(pid) - cpu0) * 1e6 / (run.requests + run.loadRps * SECONDS) }
}

function describeJson (m: JsonRun): string {
  return `json c=${m.connections}: ${f(m.loadRps, 0)} req/s, p50 ${f(m.p50)} ms, p99.9 ${f(m.p999)} ms, max ${f(m.max, 1)} ms, ${Math.round(m.cpuMicrosPerRequest)} µs CPU a request`
}

const results: Record<string, unknown> = { node: process.version, seconds: SECONDS, quick: QUICK, generator: WRK ? 'wrk' : 'autocannon', at: new Date().toISOString() }
const lines: string[] = []
const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-')

try {
  const mockUrl = await startMock()
  const sidecar = await startSidecar(mockUrl)
  const nginxBin = findBinary('nginx')
  let gateway: string | undefined
  let floor: string | undefined
  if (nginxBin) {
    const floorPort = await freePort()
    const mock = new URL(mockUrl)
    // The floor: the same nginx, a route straight to the mock with the kit's proxy settings.
    gateway = await startNginx(scope, nginxBin, Number(new URL(sidecar.url).port), {
      extraHttp: `upstream bench_mock { server ${mock.host}; keepalive 64; }
  server { listen 127.0.0.1:${floorPort}; location / { proxy_pass http://bench_mock; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; proxy_request_buffering off; } }`,
    })
    floor = `http://127.0.0.1:${floorPort}`
  } else {
    console.error('nginx is not installed: the floor is the mock reached directly, and no gateway rows')
  }
  // Warm-up: JIT, keep-alive pools, SQLite pages.
  await latency(`${sidecar.url}${PATH}`, 4, false, { seconds: QUICK ? 0.5 : 3 })
  const rssWarm = rssMiB(sidecar.pid)

  const only = args.only?.split(',')
  const scenarios = (QUICK ? [[false, 1], [true, 16]] as const : [[false, 1], [false, 16], [false, 64], [true, 16], [true, 64]] as const)
    .filter(([stream, c]) => !only || only.includes(`${stream ? 'stream' : 'json'}-${c}`))
  const rows = []
  for (const [stream, c] of scenarios) {
    const base = await measure(floor ? `${floor}/v1/messages` : `${mockUrl}/v1/messages`, c, stream)
    const cpu0 = cpuSeconds(sidecar.pid)
    const t0 = performance.now()
    const relay = gateway ? await measure(`${gateway}${PATH}`, c, stream) : undefined
    const alone = await measure(`${sidecar.url}${PATH}`, c, stream)
    const cpuSpent = cpuSeconds(sidecar.pid) - cpu0
    const cpu = cpuSpent / ((performance.now() - t0) / 1000)
    // What a request costs the sidecar in CPU: steadier than req/s on a shared machine. The load
    // generator's requests are counted from its rate over the same seconds.
    const served = (relay ? relay.requests + relay.loadRps * SECONDS : 0) + alone.requests + alone.loadRps * SECONDS
    const via = relay ?? alone
    rows.push({ scenario: stream ? 'stream' : 'json', connections: c, floor: base, relay, sidecar: alone, addedP50: via.p50 - base.p50, addedP99: via.p99 - base.p99, addedP999: via.p999 - base.p999, ratio: via.loadRps / base.loadRps, rssMiB: rssMiB(sidecar.pid), cpu, cpuMicrosPerRequest: cpuSpent * 1e6 / served })
  }
  results.throughput = rows
  lines.push(`Relay vs floor (${results.generator} req/s; latency ms from the keep-alive client), ${SECONDS}s a run, node ${process.version}`)
  lines.push('| scenario | c | floor req/s · p50 · p99 · p99.9 · max | relay req/s · p50 · p99 · p99.9 · max | sidecar alone req/s · p99.9 · max | added p50 · p99 · p99.9 | ratio | RSS | CPU | CPU µs/req |')
  lines.push('|---|---|---|---|---|---|---|---|---|---|')
  const cell = (m: Measured | undefined) => (m ? `${f(m.loadRps, 0)} · ${f(m.p50)} · ${f(m.p99)} · ${f(m.p999)} · ${f(m.max, 1)}${m.errors ? ` (${m.errors} errors)` : ''}` : '-')
  for (const r of rows) {
    lines.push(`| ${r.scenario} | ${r.connections} | ${cell(r.floor)} | ${cell(r.relay)} | ${f(r.sidecar.loadRps, 0)} · ${f(r.sidecar.p999)} · ${f(r.sidecar.max, 1)} | ${f(r.addedP50)} · ${f(r.addedP99)} · ${f(r.addedP999)} | ${f(r.ratio)} | ${r.rssMiB} MiB | ${Math.round(r.cpu * 100)}% | ${Math.round(r.cpuMicrosPerRequest)} |`)
  }
  lines.push('')
  lines.push('Percentiles are of the steady state: each latency run first sends one request on every connection at once, uncounted; the slowest of those (ms):')
  for (const r of rows) lines.push(`  ${r.scenario} c=${r.connections}: floor ${f(r.floor.burstMax, 1)}, relay ${r.relay ? f(r.relay.burstMax, 1) : '-'}, sidecar alone ${f(r.sidecar.burstMax, 1)}`)

  if (!only) {
    // For scale: the least a Node hop costs here, the JSON case through bench/bare-proxy.ts.
    const bare = await startBareHop(mockUrl)
    const bareHop = results.bareHop = await measureJson(bare.pid, bare.url)
    lines.push('', `A bare Node hop (bench/bare-proxy.ts: http server + undici Pool, nothing else), ${describeJson(bareHop)}`)
    // What one hop adds at one connection, without nginx: the mock direct, the bare hop, the sidecar.
    const direct1 = await measure(`${mockUrl}/v1/messages`, 1, false)
    const bare1 = await measureJson(bare.pid, bare.url, 1)
    const sidecar1 = await measureJson(sidecar.pid, `${sidecar.url}${PATH}`, 1)
    results.oneConnection = { direct: direct1, bareHop: bare1, sidecar: sidecar1 }
    lines.push(`One connection, no nginx: the mock direct p50 ${f(direct1.p50)} ms; the bare hop adds ${f(bare1.p50 - direct1.p50)} ms (${Math.round(bare1.cpuMicrosPerRequest)} µs CPU a request), the sidecar ${f(sidecar1.p50 - direct1.p50)} ms (${Math.round(sidecar1.cpuMicrosPerRequest)} µs)`)

    // A key with limits, as a team would give its members: every request is admitted, released
    // and counted in the store.
    const limited = await startSidecar(mockUrl, { keyPolicy: LIMITED_POLICY })
    await latency(`${limited.url}${PATH}`, 4, false, { seconds: QUICK ? 0.5 : 2 })
    const limitedKey = results.limitedKey = await measureJson(limited.pid, `${limited.url}${PATH}`)
    lines.push(`A key with limits (concurrency, a rate window, a daily budget), sidecar alone, ${describeJson(limitedKey)}`)

    // Memory: a fresh sidecar in front of an upstream that sends an event a second.
    // 30 events a second apart: each stream open for 30 s.
    const slowMock = await startMock(QUICK ? 100 : 1000, 30)
    const fresh = await startSidecar(slowMock)
    await new Promise(resolve => setTimeout(resolve, 1000))
    const idleStart = rssMiB(fresh.pid)
    await new Promise(resolve => setTimeout(resolve, QUICK ? 0 : 7000))
    const idleSettled = await settledRssMiB(fresh.pid, QUICK ? 200 : 3000)
    const streams = QUICK ? 50 : 1000
    let peak = 0
    const sampler = setInterval(() => { peak = Math.max(peak, rssMiB(fresh.pid)) }, 250)
    const slow = await latency(`${fresh.url}${PATH}`, streams, true, { requests: streams })
    clearInterval(sampler)
    // Growth: a sidecar of its own, with an inspector port to measure its live heap.
    const growthFirst = QUICK ? 1000 : 10_000
    const growthTotal = QUICK ? 3000 : 100_000
    const grower = await startSidecar(mockUrl, { nodeArgs: ['--inspect=127.0.0.1:0'] })
    const inspector = inspectorUrl(grower.output)
    await latency(`${grower.url}${PATH}`, 16, false, { requests: growthFirst })
    // RSS twice after each part: 2 s after the load stops, wherever V8's heap is in its cycle,
    // and once quiet: V8's memory reducer collects and gives back what a busy spell grew some
    // 10–30 s after the process goes quiet (125 → 82 MiB after 10k requests, measured).
    const rssFirst = await settledRssMiB(grower.pid, QUICK ? 200 : 2000)
    const rssFirstQuiet = await settledRssMiB(grower.pid, QUICK ? 200 : QUIET_MS)
    const heapFirst = await heapAfterGcMiB(inspector)
    await latency(`${grower.url}${PATH}`, 16, false, { requests: growthTotal - growthFirst })
    const rssAll = await settledRssMiB(grower.pid, QUICK ? 200 : 2000)
    const rssAllQuiet = await settledRssMiB(grower.pid, QUICK ? 200 : QUIET_MS)
    const heapAll = await heapAfterGcMiB(inspector)
    results.memory = { rssAfterWarmUp: rssWarm, idleAfter1s: idleStart, idleSettled, slowStreams: { streams, peakRss: peak, errors: slow.errors, longestMs: slow.max }, growth: { first: growthFirst, rssFirst, rssFirstQuiet, heapFirst, total: growthTotal, rssAll, rssAllQuiet, heapAll, ratio: rssAll / rssFirst, quietRatio: rssAllQuiet / rssFirstQuiet, heapRatio: heapAll / heapFirst } }
    lines.push('')
    lines.push(`Memory: idle RSS ${idleStart} MiB a second after start, ${idleSettled} MiB settled; ${rssWarm} MiB after warm-up`)
    lines.push(`  ${streams} concurrent slow streams: peak RSS ${peak} MiB${slow.errors ? `, ${slow.errors} ERRORS` : ''}`)
    lines.push(`  RSS after ${growthFirst} requests ${rssFirst} MiB, after ${growthTotal} ${rssAll} MiB (${f((rssAll / rssFirst - 1) * 100, 1)}%); once quiet ${QUIET_MS / 1000} s, ${rssFirstQuiet} then ${rssAllQuiet} MiB (${f((rssAllQuiet / rssFirstQuiet - 1) * 100, 1)}%); live heap after a full GC ${heapFirst} MiB, then ${heapAll} MiB (${f((heapAll / heapFirst - 1) * 100, 1)}%)`)

    // The Redis store: the same JSON case against a sidecar sharing its state through Redis.
    if (findBinary('redis-server')) {
      const redis = (await startRedis(scope))!
      const shared = await startSidecar(mockUrl, { store: { kind: 'redis', url: redis.url, prefix: 'bench:' } })
      const c = QUICK ? 4 : 16
      await latency(`${shared.url}${PATH}`, 4, false, { seconds: QUICK ? 0.5 : 2 })
      const base = await measure(`${mockUrl}/v1/messages`, c, false)
      const via = await measure(`${shared.url}${PATH}`, c, false)
      results.redis = { connections: c, direct: base, sidecar: via, ratio: via.loadRps / base.loadRps, rssMiB: rssMiB(shared.pid) }
      lines.push('')
      lines.push(`Redis store, json c=${c}, sidecar alone: ${f(via.loadRps, 0)} req/s (mock direct ${f(base.loadRps, 0)}, ratio ${f(via.loadRps / base.loadRps)}); p50 ${f(via.p50)} p99 ${f(via.p99)} p99.9 ${f(via.p999)} max ${f(via.max, 1)} ms`)
      // A key with limits on the shared store: admission is a script run in Redis per request.
      const sharedLimited = await startSidecar(mockUrl, { store: { kind: 'redis', url: redis.url, prefix: 'bench-limited:' }, keyPolicy: LIMITED_POLICY })
      await latency(`${sharedLimited.url}${PATH}`, 4, false, { seconds: QUICK ? 0.5 : 2 })
      const limitedRedis = results.redisLimitedKey = await measureJson(sharedLimited.pid, `${sharedLimited.url}${PATH}`)
      lines.push(`Redis store, a key with limits, sidecar alone, ${describeJson(limitedRedis)}`)
    } else {
      lines.push('', 'Redis store: redis-server is not installed, not measured')
    }
  }
  console.log(lines.join('\n'))
  const out = args.out ?? join(ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
  console.log(`\nwritten: ${out}`)
} finally {
  await runCleanups()
}

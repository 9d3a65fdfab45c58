// A closed-loop keep-alive client: `connections` loops, each sending the next request as soon
// as the previous answer has been read to its end, for `seconds` or until `requests` are done.
// Every latency goes into a histogram, so the percentiles agree with the throughput (each
// request's time is from its first byte sent to its last byte read). Prints one JSON line.
//
//   node --import tsx bench/latency-client.ts --url U --connections 16 --seconds 5 --body '{...}' [--header k:v]... [--report-slow MS]
import { createHistogram } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    connections: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '0' },
    body: { type: 'string', default: '' },
    header: { type: 'string', multiple: true, default: [] },
    // Prints each request slower than this (ms) to stderr with when it started: finds stalls.
    'report-slow': { type: 'string', default: '0' },
  },
})
const url = new URL(values.url!)
const connections = Number(values.connections)
const limit = Number(values.requests)
const headers: Record<string, string> = { 'content-type': 'application/json' }
for (const h of values.header) headers[h.slice(0, h.indexOf(':'))] = h.slice(h.indexOf(':') + 1)
const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 })
const histogram = createHistogram()
let done = 0
let errors = 0
let sent = 0

/** One request on a connection, read to its end; its latency in ns, and whether it failed. */
async function once (): Promise<{ took: bigint, failed: boolean }> {
  const t0 = process.hrtime.bigint()
  try {
    const res = await pool.request({ path: url.pathname + url.search, method: 'POST', headers, body: values.body })
    for await (const _ of res.body);
    return { took: process.hrtime.bigint() - t0, failed: res.statusCode !== 200 }
  } catch {
    return { took: process.hrtime.bigint() - t0, failed: true }
  }
}

// A timed run starts with one request on every connection at once, not counted: connections
// opened together make a burst (through nginx on this machine, up to half a second for the last
// of 64), which is reported on its own as `burstMax` instead of blurring the steady state.
let burstMax = 0
if (limit === 0) {
  const firsts = await Promise.all(Array.from({ length: connections }, once))
  burstMax = Math.max(...firsts.map(r => Number(r.took)))
  errors += firsts.filter(r => r.failed).length
}
const started = performance.now()
const startedNs = process.hrtime.bigint()
const reportSlow = Number(values['report-slow'])
const end = limit > 0 ? Infinity : started + Number(values.seconds) * 1000

async function loop (): Promise<void> {
  while (performance.now() < end && (limit === 0 || sent < limit)) {
    sent++
    const t0 = process.hrtime.bigint()
    const { took, failed } = await once()
    if (failed) errors++
    histogram.record(took)
    if (reportSlow > 0 && Number(took) / 1e6 > reportSlow) process.stderr.write(`slow: ${(Number(took) / 1e6).toFixed(1)} ms, started at ${Math.round(Number(t0 - startedNs) / 1e6)} ms\n`)
    done++
  }
}

await Promise.all(Array.from({ length: connections }, loop))
const seconds = (performance.now() - started) / 1000
const ms = (ns: number) => Math.round(ns / 1e3) / 1e3
process.stdout.write(JSON.stringify({
  requests: done, errors, seconds, rps: done / seconds,
  p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), p999: ms(histogram.percentile(99.9)), max: ms(histogram.max),
  burstMax: ms(burstMax),
}) + '\n')
await pool.close()

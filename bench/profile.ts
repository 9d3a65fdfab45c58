// Where the sidecar's CPU goes: a CPU profile of the sidecar alone under steady load, taken
// through its inspector after a warm-up (so start-up and compilation stay out of it), summed by
// area and by function (bench/cpu-profile-summary.ts). The sidecar runs from the sources
// (bin/ai-relay-dev.js) so every function keeps its file and package; the code on the request
// path is the same as the build's. The same run measures the CPU a request costs without the
// profiler, and the bare Node hop's (bench/bare-proxy.ts), for scale.
//
//   npm run bench:profile                           json, 16 connections, 10 s
//   npm run bench:profile -- --stream --connections 64
//   npm run bench:profile -- --keep                 also writes the raw .cpuprofile (DevTools, speedscope)
//   npm run bench:profile -- --quick --out FILE     a tiny run (what npm test checks)
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { summarizeProfile, type CpuProfile } from './cpu-profile-summary.ts'
import { PATH, ROOT, cpuSeconds, inspectorSession, inspectorUrl, latency, runCleanups, startBareHop, startMock, startSidecar } from './harness.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    stream: { type: 'boolean', default: false },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
})
const QUICK = args.quick
const SECONDS = Number(args.seconds ?? (QUICK ? 1 : 10))
const CONNECTIONS = Number(args.connections)
if (!(SECONDS > 0) || !(Number.isInteger(CONNECTIONS) && CONNECTIONS > 0)) throw new Error('--seconds and --connections take positive numbers')
// 200 µs between samples: ~50,000 in a 10 s run. The profiler costs the sidecar ~20 % more CPU
// a request (390 against 324 µs, json at 16 connections), which is why the unprofiled run is
// reported beside it.
const SAMPLING_US = 200

/** CPU µs a request, measured by /proc over one latency run. */
async function cpuPerRequest (pid: number, url: string): Promise<{ rps: number, micros: number }> {
  const cpu0 = cpuSeconds(pid)
  const run = await latency(url, CONNECTIONS, args.stream, { seconds: SECONDS })
  if (run.errors) throw new Error(`${run.errors} requests failed at ${url}`)
  return { rps: run.rps, micros: (cpuSeconds(pid) - cpu0) * 1e6 / run.requests }
}

try {
  const mockUrl = await startMock()
  const sidecar = await startSidecar(mockUrl, { entry: 'bin/ai-relay-dev.js', nodeArgs: ['--inspect=127.0.0.1:0'] })
  const url = `${sidecar.url}${PATH}`
  await latency(url, 4, args.stream, { seconds: QUICK ? 0.5 : 3 })
  const bare = await startBareHop(mockUrl)
  await latency(bare.url, 4, args.stream, { seconds: QUICK ? 0.5 : 2 })
  const bareHop = await cpuPerRequest(bare.pid, bare.url)
  const unprofiled = await cpuPerRequest(sidecar.pid, url)

  const session = await inspectorSession(inspectorUrl(sidecar.output))
  await session.call('Profiler.enable')
  await session.call('Profiler.setSamplingInterval', { interval: SAMPLING_US })
  await session.call('Profiler.start')
  const profiled = await cpuPerRequest(sidecar.pid, url)
  const { profile } = await session.call('Profiler.stop') as { profile: CpuProfile }
  session.close()

  const summary = summarizeProfile(profile, ROOT)
  const scenario = `${args.stream ? 'stream' : 'json'}, ${CONNECTIONS} connections, sidecar alone, ${SECONDS} s`
  const f = (n: number) => n.toFixed(1)
  const lines = [
    `CPU profile: ${scenario}, node ${process.version}, a sample every ${SAMPLING_US} µs`,
    `CPU a request: sidecar ${Math.round(unprofiled.micros)} µs (${Math.round(profiled.micros)} µs while profiled), bare Node hop ${Math.round(bareHop.micros)} µs`,
    `Busy ${summary.busyMs} ms, idle ${summary.idleMs} ms of the profiled run`,
    '',
    '| area | self % | inclusive % |',
    '|---|---|---|',
    ...summary.areas.map(a => `| ${a.area} | ${f(a.selfPct)} | ${f(a.inclusivePct)} |`),
    '',
    '| function | where | inclusive % | self % |',
    '|---|---|---|---|',
    ...summary.functions.map(fn => `| ${fn.name} | ${fn.location} | ${f(fn.inclusivePct)} | ${f(fn.selfPct)} |`),
  ]
  console.log(lines.join('\n'))
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const out = args.out ?? join(ROOT, 'bench', 'results', `profile-${stamp}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), node: process.version, quick: QUICK, scenario, samplingMicros: SAMPLING_US, cpuMicrosPerRequest: { sidecar: unprofiled.micros, sidecarProfiled: profiled.micros, bareHop: bareHop.micros }, ...summary }, null, 2) + '\n')
  console.log(`\nwritten: ${out}`)
  if (args.keep) {
    const raw = out.replace(/\.json$/, '') + '.cpuprofile'
    writeFileSync(raw, JSON.stringify(profile))
    console.log(`raw profile: ${raw}`)
  }
} finally {
  await runCleanups()
}

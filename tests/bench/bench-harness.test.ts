// The benchmark harness runs end to end on a tiny scenario: every part starts, measures and
// writes its JSON. No timing is asserted here (speed goals live in `npm run bench`).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/relay-harness.ts'
import { requireBinary, spawnChild } from '../helpers/processes.ts'

test('npm run bench -- --quick: floor, relay through nginx, the sidecar alone, a bare hop, a key with limits, memory and the Redis store, written as JSON', async t => {
  if (!requireBinary(t, 'nginx') || !requireBinary(t, 'redis-server')) return
  const out = join(tempDir(), 'bench.json')
  const run = spawnChild(t, process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out])
  assert.equal(await run.exited, 0, run.stderr.join('') + run.stdout.join(''))
  const r = JSON.parse(readFileSync(out, 'utf8'))
  assert.equal(r.quick, true)
  assert.ok(r.throughput.length >= 2)
  for (const row of r.throughput) {
    for (const m of [row.floor, row.relay, row.sidecar]) {
      assert.ok(m.loadRps > 0 && m.requests > 0, JSON.stringify(m))
      assert.equal(m.errors, 0, 'every request answered 200')
      assert.ok(m.p50 > 0 && m.p50 <= m.p99 && m.p99 <= m.p999 && m.p999 <= m.max)
      assert.ok(m.burstMax > 0, 'the uncounted first round was timed')
    }
    assert.ok(row.rssMiB > 0 && row.ratio > 0)
  }
  assert.ok(r.memory.idleAfter1s > 0 && r.memory.slowStreams.peakRss > 0 && r.memory.growth.rssAll > 0 && r.memory.growth.rssAllQuiet > 0)
  assert.equal(r.memory.slowStreams.errors, 0)
  // The live heap came back from the sidecar's inspector, and the bare hop answered.
  assert.ok(r.memory.growth.heapFirst > 1 && r.memory.growth.heapAll > 1, JSON.stringify(r.memory.growth))
  assert.ok(r.limitedKey.loadRps > 0 && r.limitedKey.requests > 0 && r.limitedKey.errors === 0, JSON.stringify(r.limitedKey))
  assert.ok(r.bareHop.loadRps > 0 && r.bareHop.requests > 0 && r.bareHop.errors === 0, JSON.stringify(r.bareHop))
  for (const m of [r.oneConnection.direct, r.oneConnection.bareHop, r.oneConnection.sidecar]) assert.ok(m.requests > 0 && m.errors === 0 && m.p50 > 0, JSON.stringify(r.oneConnection))
  assert.ok(r.redis.sidecar.loadRps > 0)
  assert.equal(r.redis.sidecar.errors, 0)
  assert.ok(r.redisLimitedKey.requests > 0 && r.redisLimitedKey.errors === 0, JSON.stringify(r.redisLimitedKey))
  assert.match(run.stdout.join(''), /\| json \| 1 \|/)
})

test('npm run bench:profile -- --quick: a CPU profile of the sidecar under load, summed by area and function, written as JSON', async t => {
  const out = join(tempDir(), 'profile.json')
  const run = spawnChild(t, process.execPath, ['--import', 'tsx', 'bench/profile.ts', '--quick', '--out', out])
  assert.equal(await run.exited, 0, run.stderr.join('') + run.stdout.join(''))
  const r = JSON.parse(readFileSync(out, 'utf8'))
  assert.equal(r.quick, true)
  assert.ok(r.busyMs > 0, JSON.stringify(r))
  assert.ok(r.cpuMicrosPerRequest.sidecar > 0 && r.cpuMicrosPerRequest.sidecarProfiled > 0 && r.cpuMicrosPerRequest.bareHop > 0, JSON.stringify(r.cpuMicrosPerRequest))
  // The request path is in the profile, by the project's own directories and its dependencies.
  const areas = new Set(r.areas.map((a: { area: string }) => a.area))
  for (const area of ['core/relay', 'plugins/claude', 'fastify', 'undici', 'node']) assert.ok(areas.has(area), `${area} in ${[...areas].join(', ')}`)
  assert.ok(r.functions.length > 0)
  assert.match(run.stdout.join(''), /\| core\/relay \|/)
})

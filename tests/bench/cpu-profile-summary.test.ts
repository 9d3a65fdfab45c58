// The profile summary behind `npm run bench:profile`: which area a script belongs to, and how
// busy time is split into self and inclusive shares.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { areaOf, summarizeProfile, type CpuProfile } from '../../bench/cpu-profile-summary.ts'

const ROOT = '/srv/relay/'

test('areaOf: Node, packages (scoped, nested), the project\'s directories', () => {
  assert.equal(areaOf('node:internal/http', ROOT), 'node')
  assert.equal(areaOf('node:net', ROOT), 'node')
  assert.equal(areaOf('wasm://wasm/00034eea', ROOT), 'wasm')
  assert.equal(areaOf('file:///srv/relay/node_modules/undici/lib/dispatcher/client-h1.js', ROOT), 'undici')
  assert.equal(areaOf('file:///srv/relay/node_modules/@fastify/ajv-compiler/index.js', ROOT), '@fastify/ajv-compiler')
  assert.equal(areaOf('file:///srv/relay/node_modules/fastify/node_modules/pino/pino.js', ROOT), 'pino')
  assert.equal(areaOf('file:///srv/relay/core/relay/forward.ts', ROOT), 'core/relay')
  assert.equal(areaOf('file:///srv/relay/core/store/sqlite/a%20b.ts', ROOT), 'core/store')
  assert.equal(areaOf('file:///srv/relay/plugins/claude/index.ts', ROOT), 'plugins/claude')
  assert.equal(areaOf('file:///srv/relay/main.ts', ROOT), 'main.ts')
})

/** A profile from stacks: each sample is a path of frames from the root, with its duration. */
function profileOf (samples: { stack: [name: string, url: string][], us: number }[]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [] }]
  const ids: number[] = []
  for (const { stack } of samples) {
    let cur = nodes[0]!
    for (const [name, url] of stack) {
      let child = (cur.children ?? []).map(id => nodes[id - 1]!).find(n => n.callFrame.functionName === name && n.callFrame.url === url)
      if (!child) {
        child = { id: nodes.length + 1, callFrame: { functionName: name, url, lineNumber: 0 }, children: [] }
        nodes.push(child)
        cur.children!.push(child.id)
      }
      cur = child
    }
    ids.push(cur.id)
  }
  // Each sample lasts until the next one: its duration is the next sample's delta.
  return { nodes, samples: ids, timeDeltas: [0, ...samples.map(s => s.us)] }
}

const relay = (name: string): [string, string] => [name, `file://${ROOT}core/relay/forward.ts`]
const undici = (name: string): [string, string] => [name, `file://${ROOT}node_modules/undici/lib/api/api-request.js`]
const node = (name: string): [string, string] => [name, 'node:net']

test('summarizeProfile: idle left out, native self time to its caller\'s area, inclusive counted once a sample', () => {
  const p = profileOf([
    { stack: [relay('handle'), ['writev', '']], us: 400 },
    { stack: [relay('handle'), undici('request'), node('write')], us: 300 },
    { stack: [relay('handle'), relay('inner'), relay('handle')], us: 200 },
    { stack: [['(garbage collector)', '']], us: 100 },
    { stack: [['(idle)', '']], us: 5000 },
    { stack: [['(program)', '']], us: 0 },
  ])
  const s = summarizeProfile(p, ROOT)
  assert.equal(s.busyMs, 1)
  assert.equal(s.idleMs, 5)
  const area = Object.fromEntries(s.areas.map(a => [a.area, a]))
  assert.deepEqual(area['core/relay'], { area: 'core/relay', selfPct: 60, inclusivePct: 90 })
  assert.deepEqual(area['node'], { area: 'node', selfPct: 30, inclusivePct: 30 })
  assert.deepEqual(area['undici'], { area: 'undici', selfPct: 0, inclusivePct: 30 })
  assert.deepEqual(area['gc'], { area: 'gc', selfPct: 10, inclusivePct: 10 })
  assert.equal(area['v8 (program)'], undefined, 'a sample of no duration counts for nothing')
  const handle = s.functions.find(fn => fn.name === 'handle')!
  assert.equal(handle.inclusivePct, 90, 'a recursive function counts once a sample')
  assert.equal(handle.selfPct, 20)
  assert.deepEqual(s.functions[0], { name: 'handle', location: 'core/relay/forward.ts', inclusivePct: 90, selfPct: 20 })
  assert.equal(s.functions.find(fn => fn.name === 'writev')!.location, '(native)')
})

test('summarizeProfile: self shares add up to the busy time; inclusive is never below self', () => {
  // Names an object lookup would find on Object.prototype included.
  const frame = fc.constantFrom<[string, string]>(relay('a'), relay('toString'), undici('constructor'), node('__proto__'), ['hasOwnProperty', ''], ['(garbage collector)', ''], ['(program)', ''])
  const sample = fc.record({ stack: fc.array(frame, { minLength: 1, maxLength: 6 }), us: fc.integer({ min: 1, max: 10_000 }) })
  fc.assert(fc.property(fc.array(sample, { minLength: 1, maxLength: 40 }), samples => {
    const s = summarizeProfile(profileOf(samples), ROOT)
    const self = s.areas.reduce((sum, a) => sum + a.selfPct, 0)
    assert.ok(Math.abs(self - 100) <= 0.05 * s.areas.length + 1e-9, `self shares sum to ${self}`)
    for (const a of s.areas) {
      assert.ok(['core/relay', 'undici', 'node', 'gc', 'v8 (program)'].includes(a.area), `area ${String(a.area)}`)
      assert.ok(a.inclusivePct + 1e-9 >= a.selfPct && a.inclusivePct <= 100, JSON.stringify(a))
    }
    for (const fn of s.functions) assert.ok(fn.inclusivePct + 1e-9 >= fn.selfPct && fn.inclusivePct <= 100, JSON.stringify(fn))
  }))
})

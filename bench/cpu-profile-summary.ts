// What a V8 CPU profile (`node --cpu-prof`) says the relay spends its time on, as tables a
// reader can compare between runs: busy time by area (a dependency, a directory of ours, Node's
// own modules, GC), self and inclusive, and the functions with the most inclusive time.
//
// Native functions (no script URL: a socket write, a SQLite statement) have their self time
// counted in the area of the nearest caller that has one, so "core/store" includes the SQLite
// work it asked for and "node" the system calls its streams make. Idle samples are left out:
// percentages are of busy time.

/** The parts of a `.cpuprofile` this reads (Chrome DevTools protocol, Profiler.Profile). */
export interface CpuProfile {
  nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  busyMs: number
  idleMs: number
  /** Busy time by area, biggest inclusive share first. */
  areas: { area: string, selfPct: number, inclusivePct: number }[]
  /** Functions by inclusive share (each counted once per sample, recursion included). */
  functions: { name: string, location: string, inclusivePct: number, selfPct: number }[]
}

type Frame = CpuProfile['nodes'][number]['callFrame']

/** A script URL as a path: a file's without its scheme, anything else (`node:`, `wasm://`) as it is. */
const pathOf = (url: string) => (url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url)

/** A path relative to the project's root when it is one of its files. */
const relativeTo = (path: string, root: string) => (path.startsWith(root) ? path.slice(root.length).replace(/^\/+/, '') : path)

/**
 * The area a script belongs to: a package under node_modules, `node` for Node's own modules,
 * or the directory of one of the project's files (`core/relay`, `plugins/claude`).
 */
export function areaOf (url: string, root: string): string {
  const path = pathOf(url)
  // undici's HTTP parser (llhttp) is WebAssembly.
  if (path.startsWith('wasm://')) return 'wasm'
  if (path.startsWith('node:') || !path.startsWith('/')) return 'node'
  const nm = path.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/')
    return parts[0]!.startsWith('@') && parts.length > 1 ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  const rel = relativeTo(path, root)
  const dirs = rel.split('/').slice(0, -1)
  return dirs.length === 0 ? rel : dirs.slice(0, 2).join('/')
}

/** V8's pseudo-frames: their own area, never attributed to a caller. A Map, not an object:
 * a function may be called `toString` or `constructor`. */
const SPECIAL = new Map([['(garbage collector)', 'gc'], ['(program)', 'v8 (program)']])

export function summarizeProfile (profile: CpuProfile, root: string, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // Line numbers only where V8 has them: code compiled by tsx reports every function on line 1.
  const label = (cf: Frame) => `${cf.functionName || '(anonymous)'}\0${cf.url ? `${relativeTo(pathOf(cf.url), root)}${cf.lineNumber > 0 ? `:${cf.lineNumber + 1}` : ''}` : '(native)'}`

  // Sample i lasts until sample i + 1 (the profile's deltas are the gaps before each sample).
  const weight = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0
    if (us > 0) weight.set(profile.samples[i]!, (weight.get(profile.samples[i]!) ?? 0) + us)
  }

  let busy = 0
  let idle = 0
  const areaSelf = new Map<string, number>()
  const areaIncl = new Map<string, number>()
  const fnSelf = new Map<string, number>()
  const fnIncl = new Map<string, number>()
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us)
  for (const [id, us] of weight) {
    const leaf = byId.get(id)!.callFrame
    if (leaf.functionName === '(idle)') { idle += us; continue }
    if (leaf.functionName === '(root)') continue
    busy += us
    const areas = new Set<string>()
    const fns = new Set<string>()
    let selfArea: string | undefined = SPECIAL.get(leaf.functionName)
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame
      if (cf.functionName === '(root)') break
      const area = SPECIAL.get(cf.functionName) ?? (cf.url ? areaOf(cf.url, root) : undefined)
      if (area !== undefined) {
        selfArea ??= area
        areas.add(area)
      }
      fns.add(label(cf))
    }
    add(areaSelf, selfArea ?? 'v8 (program)', us)
    for (const a of areas) add(areaIncl, a, us)
    if (areas.size === 0) add(areaIncl, selfArea ?? 'v8 (program)', us)
    add(fnSelf, label(leaf), us)
    for (const f of fns) add(fnIncl, f, us)
  }
  const pct = (us: number) => (busy > 0 ? Math.round(us / busy * 1000) / 10 : 0)
  const areas = [...new Set([...areaSelf.keys(), ...areaIncl.keys()])]
    .map(area => ({ area, selfPct: pct(areaSelf.get(area) ?? 0), inclusivePct: pct(areaIncl.get(area) ?? 0) }))
    .sort((a, b) => b.inclusivePct - a.inclusivePct || b.selfPct - a.selfPct)
  const functions = [...fnIncl].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => {
    const [name, location] = k.split('\0') as [string, string]
    return { name, location, inclusivePct: pct(us), selfPct: pct(fnSelf.get(k) ?? 0) }
  })
  return { busyMs: Math.round(busy / 1000), idleMs: Math.round(idle / 1000), areas, functions }
}

// The usage chart's lines: the groups (keys, models, accounts) with the most of the metric over
// the range, each its own line, and the rest summed as one "others" line, so 200 keys make a
// readable chart of a few lines whose stack still adds up to the whole.

export interface Point { bucket: string, group: string | null, name?: string }

export interface Lines {
  /** Bucket starts, epoch seconds, ascending. */
  buckets: number[]
  lines: { group: string, label: string, values: number[] }[]
}

export const OTHERS = '\u0000others'
/** The group the server sums the rest under when it was asked for its `top` groups only. */
export const SERVER_OTHERS = '*others*'

export function topLines<P extends Point> (series: readonly P[], value: (p: P) => number, top: number, othersLabel: string): Lines {
  const buckets = [...new Set(series.map(p => Date.parse(p.bucket) / 1000))].sort((a, b) => a - b)
  const index = new Map(buckets.map((b, i) => [b, i]))
  const byGroup = new Map<string, { label: string, values: number[], sum: number }>()
  // What the server already summed as "others" stays there, whatever its size.
  const serverRest = buckets.map(() => 0)
  for (const p of series) {
    if (p.group === SERVER_OTHERS) {
      serverRest[index.get(Date.parse(p.bucket) / 1000)!]! += value(p)
      continue
    }
    const g = p.group ?? '–'
    let line = byGroup.get(g)
    if (!line) byGroup.set(g, line = { label: p.name ?? p.group ?? '–', values: buckets.map(() => 0), sum: 0 })
    const v = value(p)
    line.values[index.get(Date.parse(p.bucket) / 1000)!]! += v
    line.sum += v
  }
  const ranked = [...byGroup].sort(([a, x], [b, y]) => y.sum - x.sum || a.localeCompare(b))
  // One line of "others" is no better than the line it would replace.
  const kept = ranked.length <= top + 1 ? ranked : ranked.slice(0, top)
  const lines = kept.map(([group, l]) => ({ group, label: l.label, values: l.values }))
  const others = ranked.slice(kept.length)
  if (others.length > 0 || serverRest.some(v => v !== 0)) {
    const rest = [...serverRest]
    for (const [, l] of others) l.values.forEach((v, i) => { rest[i]! += v })
    lines.push({ group: OTHERS, label: othersLabel, values: rest })
  }
  return { buckets, lines }
}

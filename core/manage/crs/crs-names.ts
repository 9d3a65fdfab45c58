// Names for what the incumbent named freely (any text, any script) under this relay's rule:
// letters, digits, `. _ -`, at most 64, starting with a letter or digit.
import { NAME_PATTERN } from '../../ids.ts'
import type { CrsGroup } from './crs-read.ts'

const NAME_RE = new RegExp(NAME_PATTERN)

/** `wanted` made to fit the name rule (`fallback` when nothing of it does). */
export function fitName (wanted: string, fallback: string): string {
  const base = wanted.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|-+$/g, '').slice(0, 56).replace(/-+$/, '')
  return NAME_RE.test(base) ? base : fallback
}

/** A name free among `taken` (which it joins): `name`, else `name-2`, `name-3`… */
export function freeName (wanted: string, fallback: string, taken: Set<string>): string {
  const base = fitName(wanted, fallback)
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`
  taken.add(name)
  return name
}

/** A group's name here: its name there, fitted (groups are labels on accounts, matched by name). */
export function crsGroupName (g: CrsGroup): string {
  return fitName(g.name, `group-${g.id.slice(0, 8)}`)
}

// Reading claude-relay-service's stored values, which are all strings in Redis hashes and may hold
// anything (hand edits, old versions, a hostile dump): each reader returns the value or undefined,
// and says in `notes` why a value that was there could not be taken. Nothing here throws.

/** What an import says about one record: fields it did not carry, and values it could not read. */
export interface RecordNotes {
  /** Fields whose setting changes behaviour and has no counterpart here: field — why. */
  lost: string[]
  /** Fields kept nowhere that change nothing (descriptions, icons, who created it). */
  dropped: string[]
  /** Values that were not readable and were skipped (the field is then as if unset). */
  warnings: string[]
}

export const newNotes = (): RecordNotes => ({ lost: [], dropped: [], warnings: [] })

/** The longest value read as one field: anything longer is not a setting but a broken record. */
export const MAX_FIELD_CHARS = 64 * 1024
/** The most entries taken from one JSON array field (models, tags, clients, rules). */
export const MAX_ARRAY_ITEMS = 1000

export class FieldReader {
  readonly h: Readonly<Record<string, string>>
  readonly notes: RecordNotes

  constructor (h: Record<string, string>, notes: RecordNotes) {
    this.h = h
    this.notes = notes
  }

  /** The raw string when set (not empty), bounded. */
  str (field: string): string | undefined {
    const v = Object.hasOwn(this.h, field) ? this.h[field] : undefined
    if (v === undefined || v === '') return undefined
    if (v.length > MAX_FIELD_CHARS) {
      this.notes.warnings.push(`${field}: ${v.length} characters`)
      return undefined
    }
    return v
  }

  bool (field: string): boolean | undefined {
    const v = this.str(field)
    if (v === undefined) return undefined
    if (v === 'true') return true
    if (v === 'false') return false
    this.notes.warnings.push(`${field}: "${clip(v)}" is not true or false`)
    return undefined
  }

  /**
   * A number within [min, max] (the incumbent's 0 means unset, so it is undefined unless `zero`).
   * `integer` floors it. Out of range, not finite or not a number: a warning, undefined.
   */
  num (field: string, opts: { min?: number, max: number, integer?: boolean, zero?: boolean }): number | undefined {
    const v = this.str(field)
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isFinite(n) || !/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) {
      this.notes.warnings.push(`${field}: "${clip(v)}" is not a number`)
      return undefined
    }
    if (n === 0 && !opts.zero) return undefined
    const value = opts.integer ? Math.floor(n) : n
    if (value < (opts.min ?? 0) || value > opts.max) {
      this.notes.warnings.push(`${field}: ${clip(v)} is outside ${opts.min ?? 0}…${opts.max}`)
      return undefined
    }
    return value
  }

  /** A JSON value of the field (undefined when unset or unreadable). */
  json (field: string): unknown {
    const v = this.str(field)
    if (v === undefined) return undefined
    try {
      return JSON.parse(v)
    } catch {
      this.notes.warnings.push(`${field}: not JSON`)
      return undefined
    }
  }

  /** A JSON array of strings (other items skipped with a warning), at most MAX_ARRAY_ITEMS. */
  strings (field: string): string[] | undefined {
    const v = this.json(field)
    if (v === undefined) return undefined
    if (!Array.isArray(v)) {
      this.notes.warnings.push(`${field}: not a list`)
      return undefined
    }
    if (v.length > MAX_ARRAY_ITEMS) {
      this.notes.warnings.push(`${field}: ${v.length} entries`)
      return undefined
    }
    const out = v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 256)
    if (out.length < v.length) this.notes.warnings.push(`${field}: ${v.length - out.length} entr${v.length - out.length === 1 ? 'y' : 'ies'} not a short string`)
    return out
  }

  /** An ISO time as epoch ms (undefined when unset or not a time). */
  time (field: string): number | undefined {
    const v = this.str(field)
    if (v === undefined) return undefined
    const t = Date.parse(v)
    if (Number.isNaN(t) || t < 0 || t > 8.64e15) {
      this.notes.warnings.push(`${field}: "${clip(v)}" is not a time`)
      return undefined
    }
    return t
  }
}

/** A value as it may appear in a note: short, one line. */
export function clip (v: string, n = 40): string {
  const one = v.replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return one.length > n ? `${one.slice(0, n)}…` : one
}

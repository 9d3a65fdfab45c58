// The request log's model filter: `*` is any run of characters, `?` exactly one, anything else
// itself, ASCII letters in either case (as SQLite's LIKE compares them). Both stores answer it the
// same way: SQLite through LIKE with its own wildcards escaped, Redis through this matcher.

/** ASCII letters lower-cased, nothing else (SQLite's LIKE folds ASCII only). */
export function asciiLower (s: string): string {
  return s.replace(/[A-Z]/g, c => c.toLowerCase())
}

/** The LIKE pattern of a glob (with `\` as its escape). */
export function globToLike (glob: string): string {
  return glob.replace(/[\\%_]/g, c => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_')
}

/** Whether a model name matches the glob. */
export function globMatches (glob: string, name: string): boolean {
  const source = [...asciiLower(glob)].map(c => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')
  return new RegExp(`^${source}$`, 'u').test(asciiLower(name))
}

// The stored shape of a key's bindings (the logic on them is core/keys/bindings.ts): per provider,
// or `*` for every provider without its own, the one account or the group of accounts it uses.
export type Binding = { account: string } | { group: string }
export type KeyBindings = Readonly<Record<string, Binding>>

export const EVERY_PROVIDER = '*'

/**
 * The bindings of the single binding a key had before bindings were per provider: it applied to
 * every provider, so it becomes `*` and the key serves exactly what it served.
 */
export function legacyBindings (account: string | null | undefined, group: string | null | undefined): KeyBindings {
  if (account) return { [EVERY_PROVIDER]: { account } }
  if (group) return { [EVERY_PROVIDER]: { group } }
  return {}
}

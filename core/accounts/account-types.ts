// The account types the enabled plugins declare: name and alias resolution, validation of an
// account's type-specific fields against the plugin's JSON Schema, and the split between
// credentials (`writeOnly` properties, sealed at rest) and plain fields.
import type { ValidateFunction } from 'ajv'
import type { AccountTypeSpec, RelayPlugin } from '../plugin-api.ts'
import { createValidator, formatAjvErrors } from '../config/validator.ts'

/** Fields every account has, whatever its provider; the rest belong to the type's schema. */
const COMMON_ACCOUNT_FIELDS = new Set(['name', 'provider', 'type', 'priority', 'disabled', 'groups', 'maxConcurrency', 'models', 'modelMap', 'proxy', 'shared'])

export interface AccountType {
  provider: string
  name: string
  spec: AccountTypeSpec
  secretFields: string[]
  validate: ValidateFunction
}

export class AccountTypes {
  #byProvider = new Map<string, Map<string, AccountType>>()

  constructor (plugins: RelayPlugin[]) {
    for (const plugin of plugins) {
      const types = new Map<string, AccountType>()
      for (const [name, spec] of Object.entries(plugin.accountTypes)) {
        const type: AccountType = {
          provider: plugin.name,
          name,
          spec,
          secretFields: Object.entries(spec.schema.properties).filter(([, s]) => s.writeOnly === true).map(([k]) => k),
          validate: createValidator(spec.schema),
        }
        types.set(name, type)
        for (const alias of spec.aliases ?? []) types.set(alias, type)
      }
      this.#byProvider.set(plugin.name, types)
    }
  }

  providers (): string[] {
    return [...this.#byProvider.keys()]
  }

  /** The type for `provider`/`type` (aliases resolved), or a one-line reason why none. */
  resolve (provider: string, type: string): AccountType | string {
    const types = this.#byProvider.get(provider)
    if (!types) return `no enabled plugin is named "${provider}" (enabled: ${this.providers().join(', ') || 'none'})`
    const t = types.get(type)
    if (!t) return `provider "${provider}" has no account type "${type}" (known: ${[...types.keys()].join(', ')})`
    return t
  }

  /**
   * Validates the type-specific fields (defaults applied in place) and splits them.
   * Returns problems as JSON-path-relative messages.
   */
  check (type: AccountType, fields: Record<string, unknown>): { ok: true, plain: Record<string, unknown>, secrets: Record<string, unknown> } | { ok: false, problems: { path: string, message: string }[] } {
    const own: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields)) if (!COMMON_ACCOUNT_FIELDS.has(k)) own[k] = v
    if (!type.validate(own)) return { ok: false, problems: formatAjvErrors(type.validate.errors) }
    const problem = type.spec.fieldsProblem?.(own)
    if (problem !== undefined) return { ok: false, problems: [{ path: '', message: problem }] }
    const plain: Record<string, unknown> = {}
    const secrets: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(own)) (type.secretFields.includes(k) ? secrets : plain)[k] = v
    return { ok: true, plain, secrets }
  }
}

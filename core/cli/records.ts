// What the CLI's key and account commands share beyond core/manage: reading an account's
// placement and fields from the command line.
import { errors } from '../errors.ts'
import { fieldFromText, type FieldShape } from '../accounts/field-text.ts'
import type { Placement } from '../manage/accounts.ts'
import type { CliIo, CliValues } from './cli-io.ts'

/**
 * Reads --priority, --group, --max-concurrency, --models, --model-map requested=served (given
 * once as `-` it clears the map) and --proxy-env (the proxy URL comes from an environment
 * variable: it may hold credentials). A string is the problem.
 */
export function placementFrom (v: CliValues, io: CliIo): Partial<Placement> | string {
  const priority = v.priority === undefined ? undefined : Number(v.priority)
  const maxConcurrency = v['max-concurrency'] === undefined ? undefined : Number(v['max-concurrency'])
  let proxy: string | undefined
  if (v['proxy-env'] !== undefined) {
    proxy = io.env[v['proxy-env']]
    if (!proxy) return `--proxy-env: environment variable ${v['proxy-env']} is not set`
  }
  const modelMap = v['model-map'].length === 0 ? undefined : v['model-map'].length === 1 && v['model-map'][0] === '-' ? null : Object.fromEntries(pairs(v['model-map'], '--model-map'))
  return { priority, groups: v.group.length > 0 ? v.group : undefined, maxConcurrency, models: v.models.length > 0 ? v.models : undefined, modelMap, proxy }
}

export function pairs (list: string[], flag: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const item of list) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new errors.RELAY_ERR_BODY_INVALID(`${flag} expects field=value, got "${item.split('=')[0]}"`)
    out.set(item.slice(0, eq), item.slice(eq + 1))
  }
  return out
}

/**
 * The `--set field=value` fields of an account type, read as the type's schema wants them
 * (`fieldFromText`: a list from commas; the schema decides whether they fit); credentials are
 * refused here, on the command line.
 */
export function plainFields (set: string[], secretFields: string[], properties: Record<string, FieldShape> = {}): Record<string, unknown> | string {
  const fields: Record<string, unknown> = {}
  for (const [k, val] of pairs(set, '--set')) {
    if (secretFields.includes(k)) return `${k} is a credential: give it on stdin or with --secret-env ${k}=ENV_VAR, never as an argument`
    fields[k] = fieldFromText(properties[k], val)
  }
  return fields
}

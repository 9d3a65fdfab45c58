// An account's model map: what a requested model is sent upstream as (a Bedrock inference
// profile for `claude-sonnet-4-5`, an Azure deployment's model, another relay's name for it).
// Keys are exact names, matched case-insensitively, or globs (`claude-haiku-*`), tried in the
// map's order after every exact name; a model no key matches goes as asked. Values are checked
// where they are set (`checkModelMap`): a plain name, since a plugin may put it in a URL path.
import { globMatcher } from '../globs.ts'

export type ModelMap = Readonly<Record<string, string>>

const GLOB = /[*?[\]{}!()+@]/
/** A served name: letters, digits and `.:_-` (Bedrock's `us.anthropic.claude-…-v1:0`), at most 200. */
export const SERVED_MODEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/
export const MODEL_MAP_LIMIT = 200

/** The model to send upstream for `model` under `map`. */
export function mapModel (map: ModelMap | null | undefined, model: string): string {
  if (!map) return model
  const lower = model.toLowerCase()
  let glob: string | undefined
  for (const [from, to] of Object.entries(map)) {
    if (!GLOB.test(from)) {
      if (from.toLowerCase() === lower) return to
    } else if (glob === undefined && globMatcher([from])(model)) {
      glob = to
    }
  }
  return glob ?? model
}

/** Why a map cannot be used, or undefined. */
export function modelMapProblem (map: unknown): string | undefined {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return 'modelMap must be an object of requested → served model names'
  const entries = Object.entries(map)
  if (entries.length > MODEL_MAP_LIMIT) return `modelMap may have at most ${MODEL_MAP_LIMIT} entries`
  for (const [from, to] of entries) {
    if (from.length === 0 || from.length > 200 || /[\u0000-\u001f\u007f]/.test(from)) return `modelMap: ${JSON.stringify(from.slice(0, 40))} is not a model name or glob`
    if (typeof to !== 'string' || !SERVED_MODEL.test(to)) return `modelMap["${from.slice(0, 40)}"]: a model name of letters, digits and . : _ - (at most 200)`
  }
  return undefined
}

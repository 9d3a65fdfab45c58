// One ajv instance for every JSON Schema the relay validates (the config, plugin account types)
// and the formatting of its errors as "JSON path: reason" lines without data values.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats ships CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true })
addFormats(ajv)

export function createValidator<T = unknown> (schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema)
}

export function formatAjvErrors (list: ErrorObject[] | null | undefined): { path: string, message: string }[] {
  const out: { path: string, message: string }[] = []
  for (const e of list ?? []) {
    // oneOf/anyOf repeat what their branches already said; keep the branches' reasons.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'additionalProperties') message = `unknown property "${String(e.params.additionalProperty)}"`
    else if (e.keyword === 'enum') message = `must be one of ${(e.params.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}`
    else if (e.keyword === 'required') message = `missing required property "${String(e.params.missingProperty)}"`
    const entry = { path: e.instancePath, message }
    if (!out.some(o => o.path === entry.path && o.message === entry.message)) out.push(entry)
  }
  return out
}

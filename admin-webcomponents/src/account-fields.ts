// An account type's fields as form controls, from its JSON Schema: a checkbox for a boolean, a
// list for an enum, a number box for a number, a password box for a credential (never filled
// in: a credential is write-only, and left empty it stays as it is), a comma list for an array,
// and `Name: value` lines for a map (an account's added headers; `-` alone removes it).
// Labels and help come from the schema's `title` and `description`, in Chinese when the widget
// speaks it and the field is known.
import { html, nothing, type TemplateResult } from 'lit'
import { msg } from '@lit/localize'
import { getLocale } from './localization.ts'
import { fieldTexts, fieldTextsByTitle } from './locales/fields-zh-Hans.ts'

export interface FieldSchema { type?: string, title?: string, enum?: unknown[], writeOnly?: boolean, description?: string, default?: unknown, items?: { type?: string } }
export interface TypeSchema { properties: Record<string, FieldSchema>, required?: string[] }

export function fieldText (name: string, s: FieldSchema): { title: string, description: string } {
  // A field whose name is common but whose meaning is its type's own (Bedrock's `apiKey`) has its text by its title.
  const zh = getLocale() === 'zh-Hans' ? (s.title === undefined ? undefined : fieldTextsByTitle[s.title]) ?? fieldTexts[name] : undefined
  return { title: zh?.title ?? s.title ?? name, description: zh?.description ?? s.description ?? '' }
}

/**
 * One field. `value`: the account's current plain value when editing. `editing`: an empty
 * credential keeps the stored one, and an optional field may be emptied (sent as null).
 */
export function renderField (name: string, s: FieldSchema, required: boolean, value: unknown, editing: boolean): TemplateResult {
  const { title, description } = fieldText(name, s)
  const label = `${title}${required && !(editing && s.writeOnly) ? ' *' : ''}`
  const id = `field-${name}`
  const help = description ? html`<small id=${`${id}-help`}>${description}</small>` : nothing
  const describedBy = description ? `${id}-help` : nothing
  if (s.type === 'boolean') {
    const checked = value === undefined ? s.default === true : value === true
    return html`<label class="check"><input name=${`f.${name}`} type="checkbox" value="true" .checked=${checked} aria-describedby=${describedBy}>${label}</label>${help}`
  }
  if (s.enum) {
    const current = value ?? s.default
    return html`<label>${label}<select name=${`f.${name}`} ?required=${required} aria-describedby=${describedBy}>
      ${required ? nothing : html`<option value="">–</option>`}${s.enum.map(v => html`<option value=${String(v)} ?selected=${v === current}>${String(v)}</option>`)}</select>${help}</label>`
  }
  if (s.type === 'object') {
    const shown = s.writeOnly || value === null || typeof value !== 'object' ? '' : Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`).join('\n')
    const placeholder = s.writeOnly && editing ? msg('unchanged; type to replace, or - to remove', { id: 'accounts.unchanged-map' }) : msg('Name: value', { id: 'accounts.mapPlaceholder' })
    return html`<label>${label}
      <textarea name=${`f.${name}`} rows="3" autocomplete="off" spellcheck="false" .value=${shown} placeholder=${placeholder} aria-describedby=${describedBy}></textarea>${help}</label>`
  }
  const type = s.writeOnly ? 'password' : s.type === 'integer' || s.type === 'number' ? 'number' : 'text'
  const shown = s.writeOnly || value === undefined || value === null ? '' : Array.isArray(value) ? value.join(', ') : String(value)
  const placeholder = s.writeOnly && editing ? msg('unchanged; type to replace', { id: 'accounts.unchanged' }) : s.default === undefined ? '' : String(s.default)
  return html`<label>${label}
    <input name=${`f.${name}`} type=${type} ?required=${required && !(editing && s.writeOnly)} autocomplete="off" .value=${shown} placeholder=${placeholder} aria-describedby=${describedBy}>${help}</label>`
}

/**
 * The fields a filled form sets. Adding: empty fields are left out. Editing: an empty credential
 * is left out (kept), an emptied plain field is null (removed), an unchanged one is left out.
 */
export function fieldsFromForm (form: HTMLFormElement, schema: TypeSchema, current?: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const [name, s] of Object.entries(schema.properties)) {
    const el = form.elements.namedItem(`f.${name}`) as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null
    if (!el) continue
    let v: unknown
    if (s.type === 'boolean') {
      v = (el as HTMLInputElement).checked
    } else {
      const text = el.value.trim()
      if (text === '') {
        if (current && !s.writeOnly && current[name] !== undefined) fields[name] = null
        continue
      }
      if (s.type === 'object' && text === '-') {
        if (current) fields[name] = null
        continue
      }
      v = s.type === 'integer' || s.type === 'number' ? Number(text) : s.type === 'array' ? text.split(',').map(x => x.trim()).filter(Boolean) : s.type === 'object' ? mapFromLines(text) : text
    }
    if (current && !s.writeOnly && JSON.stringify(current[name]) === JSON.stringify(v)) continue
    if (current && s.type === 'boolean' && current[name] === undefined && v === (s.default === true)) continue
    fields[name] = v
  }
  return fields
}

/** `Name: value` per line; a line without a colon is a name with no value (the server says what is wrong with it). */
function mapFromLines (text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue
    const colon = line.indexOf(':')
    out[(colon < 0 ? line : line.slice(0, colon)).trim()] = colon < 0 ? '' : line.slice(colon + 1).trim()
  }
  return out
}

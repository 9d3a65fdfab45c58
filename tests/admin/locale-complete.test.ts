// Chinese is complete: every message id a widget asks for has a translation, and every
// translation keeps the placeholders of its English template.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { templates } from '../../admin-webcomponents/src/locales/zh-Hans.ts'

const SRC = new URL('../../admin-webcomponents/src/', import.meta.url).pathname

test('every msg() id of the widgets has a zh-Hans translation with the same placeholders', () => {
  const zh = templates as Record<string, string | { strings: readonly string[] }>
  const missing: string[] = []
  const placeholders: string[] = []
  for (const file of readdirSync(SRC).filter(f => f.endsWith('.ts'))) {
    const text = readFileSync(join(SRC, file), 'utf8')
    // msg('…', { id: 'x' }) and msg(str`…${a}…`, { id: 'x' }).
    for (const m of text.matchAll(/msg\((?:(str)`([^`]*)`|'((?:[^'\\]|\\.)*)'|"([^"]*)"),\s*\{\s*id:\s*'([^']+)'/g)) {
      const [, isStr, template, , , id] = m as unknown as [string, string | undefined, string | undefined, string, string, string]
      const english = template ?? ''
      const t = zh[id!]
      if (t === undefined) { missing.push(`${file}: ${id}`); continue }
      const expected = isStr ? (english.match(/\$\{/g) ?? []).length : 0
      const got = typeof t === 'string' ? 0 : t.strings.length - 1
      if (expected !== got) placeholders.push(`${file}: ${id} has ${got} placeholders, English ${expected}`)
    }
  }
  assert.deepEqual(missing, [], 'ids without a translation')
  assert.deepEqual(placeholders, [])
})

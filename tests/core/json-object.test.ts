// The fields the relay decides on are read once: a body naming one of them twice at its top
// level is refused, whatever the spelling of its keys, and nested objects do not count.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseJsonObject, topLevelKeys } from '../../core/json-object.ts'

/** A key written with any of its characters as `\uXXXX` escapes (upper or lower hex). */
const spelled = (key: string) => fc.array(fc.boolean(), { minLength: key.length, maxLength: key.length }).chain(escapes =>
  fc.boolean().map(upper => '"' + [...key].map((ch, i) => {
    if (escapes[i]) {
      const hex = ch.charCodeAt(0).toString(16).padStart(4, '0')
      return `\\u${upper ? hex.toUpperCase() : hex}`
    }
    return JSON.stringify(ch).slice(1, -1)
  }).join('') + '"'))

const key = fc.oneof(fc.constantFrom('model', 'stream', 'type', 'input', 'mode', 'models', 'model '), fc.string({ maxLength: 8 }))
// Values nest objects that hold the decisive names too, in strings with quotes and escapes.
const value = fc.jsonValue({ maxDepth: 3 }).map(v => JSON.stringify(v))
  .chain(v => fc.constantFrom(v, `{"model":${v},"stream":true}`, `[{"model":"x\\"}"}]`, '"\\\\u006d\\"model\\":"'))

test('top-level keys are found decoded and in order, and a decisive key given twice is refused', () => {
  fc.assert(fc.property(
    fc.array(key.chain(k => fc.tuple(fc.constant(k), spelled(k), value)), { maxLength: 8 }),
    fc.constantFrom('', ' ', '\n\t'),
    (entries, ws) => {
      const text = `${ws}{${ws}` + entries.map(([, written, v]) => `${written}${ws}:${ws}${v}`).join(`${ws},${ws}`) + `${ws}}${ws}`
      assert.deepEqual(topLevelKeys(text), entries.map(([k]) => k))
      const result = parseJsonObject(text, ['model', 'stream'])
      const twice = ['model', 'stream'].find(n => entries.filter(([k]) => k === n).length > 1)
      if (twice) {
        assert.equal('problem' in result && result.problem, 'duplicate')
      } else {
        assert.ok('value' in result)
        assert.deepEqual(result.value, JSON.parse(text))
      }
    },
  ), { numRuns: 500 })
})

test('what is not a JSON object is named', () => {
  assert.deepEqual(parseJsonObject('{"model":', ['model']), { problem: 'not-json' })
  assert.deepEqual(parseJsonObject('[{"model":"a"}]', ['model']), { problem: 'not-object' })
  assert.deepEqual(parseJsonObject('null', ['model']), { problem: 'not-object' })
  assert.deepEqual(parseJsonObject('{"model":"a","mod\\u0065l":"b"}', ['model']), { problem: 'duplicate', key: 'model' })
})

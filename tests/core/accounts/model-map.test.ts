// An account's model map: exact names (any case) before globs, globs in the map's order, an
// unmapped model as asked; and the check that keeps served names fit for a URL path.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { mapModel, modelMapProblem, SERVED_MODEL } from '../../../core/accounts/model-map.ts'

test('exact names win over globs, any case; globs go in order; the rest as asked', () => {
  const map = { 'claude-haiku-*': 'claude-sonnet-4-5', 'claude-*': 'catch-all', 'Claude-Haiku-4-5': 'haiku-exact' }
  assert.equal(mapModel(map, 'claude-haiku-4-5'), 'haiku-exact')
  assert.equal(mapModel(map, 'claude-haiku-3-5'), 'claude-sonnet-4-5')
  assert.equal(mapModel(map, 'claude-opus-4-1'), 'catch-all')
  assert.equal(mapModel(map, 'gpt-5'), 'gpt-5')
  assert.equal(mapModel(null, 'gpt-5'), 'gpt-5')
})

test('whatever the map and the model, the answer is the model or one of the map\'s served names', () => {
  const name = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/)
  fc.assert(fc.property(fc.dictionary(fc.oneof(name, name.map(n => `${n}*`)), name, { maxKeys: 8 }), fc.string({ maxLength: 40 }), (map, model) => {
    const out = mapModel(map, model)
    assert.ok(out === model || Object.values(map).includes(out))
    if (Object.hasOwn(map, model)) assert.equal(out, map[model])
  }))
})

test('a map is refused when a served name could not go into a path, or it is too big', () => {
  assert.equal(modelMapProblem({ 'claude-sonnet-4-5': 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' }), undefined)
  for (const bad of ['../x', 'a/b', 'a b', '', 'x\u0000', '%2e', 'a?b']) assert.match(modelMapProblem({ m: bad })!, /letters, digits/, JSON.stringify(bad))
  assert.match(modelMapProblem(Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`m${i}`, 'x'])))!, /at most 200/)
  assert.match(modelMapProblem(['a'])!, /object/)
  fc.assert(fc.property(fc.string({ maxLength: 50 }), served => {
    assert.equal(modelMapProblem({ m: served }) === undefined, SERVED_MODEL.test(served))
  }))
})

// The keys widget's limits form read back into a policy, over generated fillings: what an
// operator types becomes exactly the policy fields it names, and the server's error paths find
// their field.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CLIENT_KINDS, fieldOf, policyFromForm } from '../../admin-webcomponents/src/key-policy-form.ts'
import { policySchema } from '../../core/limits/policy-schema.ts'
import { createValidator } from '../../core/config/validator.ts'

const validate = createValidator(policySchema)

test('a filled form is the policy it shows: empty fields left out, every filled one carried', () => {
  const values: Record<string, string> = {
    concurrency: '2', 'rate.0.window': '1m', 'rate.0.requests': '30', 'rate.1.window': '5h', 'rate.1.costUsd': '20', 'rate.2.window': '',
    'budget.dailyUsd': '12.5', 'budget.totalUsd': '100', 'mbudget.0.models': 'claude-opus-*', 'mbudget.0.period': 'week', 'mbudget.0.usd': '50',
    'models.allow': 'claude-*\ngpt-5*', 'models.deny': 'claude-opus-*, ', validFor: '30d', tags: 'a, b', expiresAt: '',
  }
  const { policy, expiresAt } = policyFromForm(n => values[n] ?? '', (n, v) => n === 'clients' && v === 'codex-cli', 3, 2, ['claude', 'openai'])
  assert.deepEqual(policy, {
    concurrency: 2, rateLimits: [{ window: '1m', requests: 30 }, { window: '5h', costUsd: 20 }],
    budgets: { dailyUsd: 12.5, totalUsd: 100, models: [{ models: 'claude-opus-*', period: 'week', usd: 50 }] },
    models: { allow: ['claude-*', 'gpt-5*'], deny: ['claude-opus-*'] }, clients: ['codex-cli'], validFor: '30d', tags: ['a', 'b'],
  })
  assert.equal(expiresAt, null)
  assert.ok(validate(policy))
  assert.deepEqual(policyFromForm(() => '', () => false, 1, 1, []).policy, {}, 'an empty form clears the policy')
})

test('any filling reads without a throw into fields of the schema only; numbers typed are numbers sent', () => {
  const names = ['concurrency', 'rate.0.window', 'rate.0.requests', 'rate.0.tokens', 'rate.0.costUsd', 'budget.dailyUsd', 'budget.weeklyUsd', 'mbudget.0.models', 'mbudget.0.usd', 'mbudget.0.period', 'models.allow', 'models.deny', 'validFor', 'tags']
  fc.assert(fc.property(fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: -5, max: 1e6 }).map(String))), fc.subarray([...CLIENT_KINDS]), (values, clients) => {
    const { policy } = policyFromForm(n => values[n] ?? '', (n, v) => n === 'clients' && clients.includes(v as never), 1, 1, [])
    for (const k of Object.keys(policy)) assert.ok(k in policySchema.properties, k)
    if (values.concurrency?.trim()) assert.equal(policy.concurrency, Number(values.concurrency))
    if (clients.length > 0) assert.deepEqual(policy.clients, CLIENT_KINDS.filter(c => clients.includes(c)))
  }), { numRuns: 500 })
})

test("the server's error paths name the form's fields", () => {
  assert.deepEqual(
    ['/policy/concurrency', '/policy/rateLimits/0/window', '/policy/rateLimits/1', '/policy/budgets/dailyUsd', '/policy/budgets/models/0/usd', '/policy/models/deny', '/policy/validFor', '/expiresAt'].map(fieldOf),
    ['concurrency', 'rate.0.window', 'rate.1.window', 'budget.dailyUsd', 'mbudget.0.usd', 'models.deny', 'validFor', 'expiresAt'])
})

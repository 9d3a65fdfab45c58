// The chat-claude bridge enabled in a real relay beside the claude plugin: an OpenAI-format
// client at /openai/claude gets a Chat Completions answer (whole and streamed) from a Claude
// account, metered by Claude's meter and priced as the Claude model; a bridge without its target
// is a config error; the account types are listed once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { ALICE_KEY, startRelay, testConfig } from '../../helpers/relay-harness.ts'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { openRuntime } from '../../../core/runtime.ts'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/relay-harness.ts'

const PLUGINS = [{ use: 'claude', mount: '/claude' }, { use: 'chat-claude', mount: '/openai/claude' }]

test('an OpenAI-format client on a Claude account through the bridge: answered in OpenAI\'s format, metered and priced as Claude', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, { plugins: PLUGINS }))
  for (const stream of [false, true]) {
    const res = await request(`${relay.url}/openai/claude/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${ALICE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] }),
    })
    const text = await res.body.text()
    assert.equal(res.statusCode, 200, text)
    if (stream) {
      assert.match(String(res.headers['content-type']), /text\/event-stream/)
      const chunks = text.split('\n\n').filter(Boolean)
      assert.equal(chunks.at(-1), 'data: [DONE]')
      assert.equal(JSON.parse(chunks.at(-2)!.slice(6)).usage.total_tokens, 37)
    } else {
      const c = JSON.parse(text)
      assert.deepEqual([c.object, c.usage.prompt_tokens, c.usage.completion_tokens], ['chat.completion', 25, 12])
      assert.ok(c.choices[0].message.content.length > 0)
    }
  }
  // The mock saw Anthropic's own request: system prompt apart, its headers, no relay key.
  const seen = mock.requests.at(-1)!
  assert.equal(seen.url, '/v1/messages')
  assert.deepEqual(JSON.parse(seen.body.toString()).system, [{ type: 'text', text: 'Be brief.' }])
  assert.equal(seen.headers['anthropic-version'], '2023-06-01')
  assert.equal(seen.headers.authorization, undefined)
  await relay.settled()
  const rows = await relay.rt.store.queryRequests({ limit: 10 })
  assert.equal(rows.length, 2)
  for (const r of rows) {
    assert.deepEqual([r.provider, r.bridge, r.model, r.usage.input, r.usage.output, r.unpriced], ['claude', 'chat-claude', 'claude-sonnet-4-5', 25, 12, false])
    assert.ok((r.costPico ?? 0n) > 0n)
  }
  // Claude's account types, listed once.
  const types = relay.rt.accountTypes.providers()
  assert.deepEqual(types, ['claude'])
  // A refusal in OpenAI's shape, before any account was tried.
  const refused = await request(`${relay.url}/openai/claude/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${ALICE_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', n: 2, messages: [{ role: 'user', content: 'hi' }] }),
  })
  const body = await refused.body.json() as { error: { type: string, message: string } }
  assert.equal(refused.statusCode, 400)
  assert.deepEqual([body.error.type, body.error.message], ['invalid_request_error', 'n: only 1 is supported for this model'])
})

test('a bridge without its target enabled is a config error that says so', async () => {
  const dir = tempDir()
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, JSON.stringify({ ...testConfig(undefined), plugins: [{ use: 'chat-claude', mount: '/openai/claude' }] }))
  await assert.rejects(openRuntime(file, { env: {} }), (err: Error & { issues?: { message: string }[] }) => {
    assert.ok(err.issues?.some(i => /the bridge "chat-claude" serves with the accounts of the plugin "claude": enable it too/.test(i.message)), JSON.stringify(err.issues))
    return true
  })
})

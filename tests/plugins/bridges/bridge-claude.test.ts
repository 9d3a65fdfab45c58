// A bridge composed over the real Claude plugin (not yet mounted by core): a Chat Completions
// request is parsed, refused before any account when Claude cannot take it, built into the
// Claude plugin's own upstream call (its credentials, its path, identity encoding so the answer
// can be rewritten), metered by Claude's own meter on Claude's bytes, and answered in OpenAI's
// format, streamed or whole, errors included.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import claude from '../../../plugins/claude/index.ts'
import { composeBridge } from '../../../core/bridge.ts'
import { chatClaude } from '../../../plugins/bridges/chat-claude.ts'
import { DEFAULT_USAGE, messageEvents, messageJson } from '../../mocks/anthropic-mock.ts'
import type { IncomingRequest, ParsedRequest, PluginRefusal } from '../../../core/plugin-api.ts'

const plugin = composeBridge(claude, chatClaude, 'chat-claude')
const route = plugin.routes[0]!
const account = { id: 'acc_1', name: 'main', type: 'claude-api-key', fields: { apiKey: 'sk-ant-secret', baseUrl: 'http://127.0.0.1:9' } }
const req = (body: unknown): IncomingRequest => ({
  method: 'POST', path: '/v1/chat/completions', upstreamPath: '/v1/chat/completions', query: '',
  headers: { 'content-type': 'application/json', 'user-agent': 'OpenAI/JS 5.0', 'x-stainless-lang': 'js', authorization: 'Bearer ars_relay_key' }, body: Buffer.from(JSON.stringify(body)),
})
const isRefusal = (p: ParsedRequest | PluginRefusal): p is PluginRefusal => 'error' in p

test('a Chat Completions request becomes the Claude plugin\'s own call, on Claude\'s accounts', async () => {
  assert.equal(plugin.name, 'claude', 'the target\'s pool, limits and prices')
  assert.equal(plugin.accountTypes, claude.accountTypes)
  const r = req({ model: 'claude-sonnet-4-5', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }], prompt_cache_key: 'conv-1' })
  const parsed = plugin.parseRequest(route, r)
  assert.ok(!isRefusal(parsed))
  assert.deepEqual([parsed.model, parsed.stream, parsed.clientKind, parsed.sessionKey], ['claude-sonnet-4-5', true, 'sdk', 'conv-1'])
  assert.equal(plugin.upstreamPath!(route, r, parsed, account), '/v1/messages')
  const up = await plugin.prepareUpstream(route, { ...r, upstreamPath: '/v1/messages' }, parsed, account)
  assert.equal(up.url, 'http://127.0.0.1:9/v1/messages')
  assert.equal(up.headers['x-api-key'], 'sk-ant-secret')
  assert.equal(up.headers['anthropic-version'], '2023-06-01')
  assert.equal(up.headers['accept-encoding'], 'identity')
  assert.equal(up.headers.authorization, undefined, 'the client\'s headers are not the target\'s business')
  assert.equal(up.headers['x-stainless-lang'], undefined)
  assert.deepEqual(JSON.parse(up.body!.toString()), { model: 'claude-sonnet-4-5', max_tokens: 8192, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: true })
})

test('what Claude cannot take is refused before an account is chosen, with a reason', () => {
  const parsed = plugin.parseRequest(route, req({ model: 'claude-sonnet-4-5', n: 3, messages: [{ role: 'user', content: 'hi' }] }))
  assert.ok(isRefusal(parsed))
  assert.deepEqual([parsed.error.code, parsed.error.message], ['RELAY_ERR_BODY_INVALID', 'n: only 1 is supported for this model'])
  assert.ok(isRefusal(plugin.parseRequest(route, { ...req({}), body: Buffer.from('{"model":"a","model":"b","messages":[]}') })))
  assert.deepEqual(plugin.errorBody('RELAY_ERR_LIMIT_RATE', 429, 'slow down'), { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'RELAY_ERR_LIMIT_RATE' } })
  assert.equal(plugin.isNativeError!(Buffer.from('{"type":"error","error":{"type":"overloaded_error"}}')), false, 'Anthropic\'s error bodies are not the client\'s')
})

test('the answer: metered by Claude\'s meter on Claude\'s bytes, rewritten for the client, streamed or whole', () => {
  for (const stream of [true, false]) {
    const r = req({ model: 'claude-sonnet-4-5', stream, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })
    const parsed = plugin.parseRequest(route, r) as ParsedRequest
    const headers = { 'content-type': stream ? 'text/event-stream' : 'application/json' }
    const upstream = Buffer.from(stream ? messageEvents('claude-sonnet-4-5', DEFAULT_USAGE, 'Hello there friend').join('') : messageJson('claude-sonnet-4-5', DEFAULT_USAGE, 'Hello there friend'))
    const meter = plugin.createMeter(route, parsed, headers)
    meter.push(upstream)
    const metered = meter.end()
    assert.deepEqual([metered.usage.input, metered.usage.output, metered.complete], [25, 12, true])
    const filter = plugin.filterResponse!(route, parsed, headers, account)!
    const out = Buffer.concat([filter.write(upstream.subarray(0, 17)), filter.write(upstream.subarray(17)), filter.end()]).toString()
    if (stream) {
      const chunks = out.split('\n\n').filter(Boolean)
      assert.equal(chunks.at(-1), 'data: [DONE]')
      const parsedChunks = chunks.slice(0, -1).map(c => JSON.parse(c.slice(6)))
      assert.equal(parsedChunks.map(c => c.choices[0]?.delta?.content ?? '').join(''), 'Hello there friend')
      assert.deepEqual(parsedChunks.at(-1).usage, { prompt_tokens: 25, completion_tokens: 12, total_tokens: 37, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } })
    } else {
      const c = JSON.parse(out)
      assert.deepEqual([c.object, c.choices[0].message.content, c.choices[0].finish_reason, c.usage.total_tokens], ['chat.completion', 'Hello there friend', 'stop', 37])
    }
  }
})

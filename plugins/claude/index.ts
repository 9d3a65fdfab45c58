// The Anthropic (Claude) provider plugin: the Messages API for Claude Code and the SDKs.
import type { RelayPlugin } from '../../core/plugin-api.ts'
import prices from './prices.json' with { type: 'json' }
import { classifyError } from './classify-error.ts'
import { errorBody, isNativeError, streamError } from './errors.ts'
import { createJsonMeter, createSseMeter } from './meter.ts'
import { parseRequest } from './parse-request.ts'
import { prepareUpstream } from './prepare-upstream.ts'
import { readRateLimits } from './rate-limits.ts'

const plugin: RelayPlugin = {
  specificationVersion: 'v1',
  name: 'claude',
  routes: [
    { method: 'POST', path: '/v1/messages', kind: 'generate' },
    { method: 'POST', path: '/v1/messages/count_tokens', kind: 'passthrough' },
    { method: 'GET', path: '/v1/models', kind: 'passthrough' },
    { method: 'GET', path: '/v1/models/:model', kind: 'passthrough' },
    // Claude Code's connectivity check, sent without a key before the first request.
    { method: 'HEAD', path: '/api/hello', kind: 'local', respond: () => ({ status: 200 }) },
    { method: 'GET', path: '/api/hello', kind: 'local', respond: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"message":"hello"}' }) },
  ],
  accountTypes: {
    'claude-api-key': {
      aliases: ['claude-console'],
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['apiKey'],
        properties: {
          apiKey: { type: 'string', minLength: 1, writeOnly: true, description: 'Anthropic API key (sk-ant-...)' },
          baseUrl: { type: 'string', pattern: '^https?://[^\\s]+$', default: 'https://api.anthropic.com', description: 'API origin, optionally with a path prefix' },
        },
      },
    },
  },
  prices,
  parseRequest,
  prepareUpstream: (_route, req, _parsed, account) => prepareUpstream(req, account),
  classifyError,
  createMeter: (_route, _parsed, headers) => {
    const type = String(headers['content-type'] ?? '')
    return type.startsWith('text/event-stream') ? createSseMeter() : createJsonMeter()
  },
  readRateLimits,
  errorBody,
  streamError,
  isNativeError,
}

export default plugin

// The Gemini provider plugin: the Gemini API (`/v1beta` and `/v1`: generateContent,
// streamGenerateContent with `alt=sse` or as a JSON array, countTokens, models) for Gemini
// CLI's API-key mode and the Google Gen AI SDKs, and Gemini CLI's Code Assist mode
// (`v1internal:*`), both served by API-key accounts. Subscription (Google login) accounts come
// next (issue 9).
import type { PluginRoute, RelayPlugin } from '../../core/plugin-api.ts'
import prices from './prices.json' with { type: 'json' }
import { classifyError } from './classify-error.ts'
import { errorBody, isNativeError, streamError } from './errors.ts'
import { createJsonMeter, createSseMeter } from './meter.ts'
import { parseRequest } from './parse-request.ts'
import { API_BASE, codeAssistPath, prepareUpstream, upstreamBase } from './prepare-upstream.ts'
import { createWrapFilter, LOCAL_CALLS } from './code-assist.ts'

/** Each route under both API versions. `::` is a literal colon; the model is a regex parameter (no colon in it) so the actions stay apart. */
function versions (method: PluginRoute['method'], path: string, kind: PluginRoute['kind']): PluginRoute[] {
  return ['/v1beta', '/v1'].map(v => ({ method, path: `${v}${path}`, kind }))
}

const plugin: RelayPlugin = {
  specificationVersion: 'v1',
  name: 'gemini',
  routes: [
    ...versions('POST', '/models/:model(^[^:/]+)::generateContent', 'generate'),
    ...versions('POST', '/models/:model(^[^:/]+)::streamGenerateContent', 'generate'),
    ...versions('POST', '/models/:model(^[^:/]+)::countTokens', 'passthrough'),
    ...versions('GET', '/models', 'passthrough'),
    ...versions('GET', '/models/:model', 'passthrough'),
    // Code Assist: the setup calls are answered here; the generation calls are relayed.
    ...Object.entries(LOCAL_CALLS).map(([call, respond]): PluginRoute => ({ method: 'POST', path: `/v1internal::${call}`, kind: 'local', respond })),
    { method: 'POST', path: '/v1internal::generateContent', kind: 'generate' },
    { method: 'POST', path: '/v1internal::streamGenerateContent', kind: 'generate' },
    { method: 'POST', path: '/v1internal::countTokens', kind: 'passthrough' },
  ],
  accountTypes: {
    'gemini-api-key': {
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['apiKey'],
        properties: {
          apiKey: { type: 'string', minLength: 1, writeOnly: true, description: 'Gemini API key' },
          baseUrl: { type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$', default: API_BASE, description: 'API origin, optionally with a path prefix' },
        },
      },
    },
  },
  prices,
  parseRequest,
  upstreamBase,
  upstreamPath: (_route, _req, parsed) => codeAssistPath(parsed),
  prepareUpstream: (_route, req, parsed, account) => prepareUpstream(req, parsed, account),
  // Code Assist answers are wrapped as `{response}`, except countTokens, which it answers bare.
  filterResponse: (_route, parsed, headers) => (parsed.notes?.codeAssist !== undefined && parsed.notes.codeAssist !== 'countTokens'
    ? createWrapFilter(String(headers['content-type'] ?? '').startsWith('text/event-stream'))
    : undefined),
  classifyError: (status, headers, body) => classifyError(status, headers, body),
  createMeter: (_route, _parsed, headers) => (String(headers['content-type'] ?? '').startsWith('text/event-stream') ? createSseMeter() : createJsonMeter()),
  errorBody,
  streamError,
  isNativeError,
}

export default plugin

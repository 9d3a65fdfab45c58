// One error body both of Droid's SDKs read: the relay's refusals at `/droid` come before it is
// known which format the client speaks (a 404, a bad key), so the body is Anthropic's
// `{type: "error", error: {type, message}}` with OpenAI's `param` and `code` inside `error`.
// Anthropic's SDK reads `error.type` and `error.message`, OpenAI's `error.message`, `error.type`
// and `error.code`. Errors inside a stream know their route, and take its own format.
import type { PluginRoute, RelayErrorCode } from '../../core/plugin-api.ts'
import claude from '../claude/index.ts'
import openai from '../openai/index.ts'
import { formatOf } from './formats.ts'

export function errorBody (code: RelayErrorCode, status: number, message: string, hints?: { retryAfter?: number }) {
  const anthropic = claude.errorBody(code, status, message, hints) as { type: string, error: { type: string, message: string } }
  return { type: 'error', error: { ...anthropic.error, param: null, code: code.toLowerCase() } }
}

export function streamError (code: RelayErrorCode, message: string, route?: PluginRoute): string {
  const format = route ? formatOf(route) : undefined
  return format ? format.plugin.streamError!(code, message, format.route) : claude.streamError!(code, message)
}

/** Factory's own error bodies are its formats' (Anthropic's at /a, OpenAI's at /o): passed on as they are. */
export function isNativeError (body: Buffer): boolean {
  return claude.isNativeError!(body) || openai.isNativeError!(body)
}

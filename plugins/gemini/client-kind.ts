// Which client is calling, from what Gemini CLI and the Google Gen AI SDKs send today (November
// 2026): Gemini CLI `User-Agent: GeminiCLI/<v>` or `GeminiCLI-tui/<v>/<model>` (it also sends the
// SDK's x-goog-api-client, so it is matched first); the SDKs `x-goog-api-client:
// google-genai-sdk/<v> …` (also in their user agent). A policy aid, not authentication.
import type { IncomingHttpHeaders } from 'node:http'
import type { ClientKind } from '../../core/plugin-api.ts'

export function detectClientKind (headers: IncomingHttpHeaders): ClientKind {
  const ua = String(headers['user-agent'] ?? '')
  if (/^GeminiCLI[-/]/i.test(ua)) return 'gemini-cli'
  if (/google-genai-sdk\//i.test(ua) || /google-genai-sdk\//i.test(String(headers['x-goog-api-client'] ?? ''))) return 'sdk'
  return 'other'
}

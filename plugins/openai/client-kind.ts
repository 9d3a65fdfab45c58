// Which client is calling, from what Codex CLI and the OpenAI SDKs send today (November 2026):
// Codex: `originator: codex_exec` (interactive `codex_cli_rs`) and `User-Agent: codex_exec/<v>`;
// the SDKs: `User-Agent: OpenAI/JS <v>` (or Python) and `x-stainless-*` headers; the Vercel AI
// SDK: `ai/<v> ai-sdk-provider-utils/<v> node.js/<v>` (7.0).
// A policy aid, not authentication: every one of these headers can be forged.
import type { IncomingHttpHeaders } from 'node:http'
import { isDroid, type ClientKind } from '../../core/plugin-api.ts'

export function detectClientKind (headers: IncomingHttpHeaders): ClientKind {
  const ua = String(headers['user-agent'] ?? '')
  const originator = String(headers.originator ?? '')
  if (/^codex[_-]/i.test(originator) || /^codex[_-]/i.test(ua)) return 'codex-cli'
  if (isDroid(headers)) return 'droid-cli'
  if (/^OpenAI\//i.test(ua) || /(^|\s)(ai|ai-sdk[\w-]*)\/\d/i.test(ua) || headers['x-stainless-lang'] !== undefined) return 'sdk'
  return 'other'
}

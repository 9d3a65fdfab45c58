// Which client is calling, from what Claude Code and the SDKs send today (November 2026):
// Claude Code: `User-Agent: claude-cli/<v> (external, cli|sdk-cli)`, `x-app: cli`,
// `X-Claude-Code-Session-Id`; the SDKs: `User-Agent: Anthropic/JS <v>` (or Python, Go, Java).
// A policy aid, not authentication: every one of these headers can be forged.
import type { IncomingHttpHeaders } from 'node:http'
import { isDroid, type ClientKind } from '../../core/plugin-api.ts'

export function detectClientKind (headers: IncomingHttpHeaders): ClientKind {
  const ua = String(headers['user-agent'] ?? '')
  if (/^claude-cli\//i.test(ua) || headers['x-app'] === 'cli' || headers['x-claude-code-session-id'] !== undefined) return 'claude-code'
  if (isDroid(headers)) return 'droid-cli'
  if (/^Anthropic\//i.test(ua)) return 'sdk'
  return 'other'
}

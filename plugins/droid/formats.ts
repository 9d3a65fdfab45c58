// The three APIs Factory's LLM API speaks, as the incumbent's `/droid/...` paths take them: each
// client path, the Claude or OpenAI plugin route whose parser, meter and errors it shares (the
// formats are Anthropic's and OpenAI's, byte for byte), Factory's path for it, and the
// `x-api-provider` Droid sends with it (as recorded from Droid 0.225).
import type { PluginRoute, RelayPlugin } from '../../core/plugin-api.ts'
import claude from '../claude/index.ts'
import openai from '../openai/index.ts'

export interface DroidFormat {
  /** The plugin whose format it is. */
  plugin: RelayPlugin
  /** That plugin's own route. */
  route: PluginRoute
  /** Under Factory's LLM API base. */
  factoryPath: string
  kind: 'anthropic' | 'responses' | 'chat'
}

function routeOf (plugin: RelayPlugin, path: string): PluginRoute {
  return plugin.routes.find(r => r.method === 'POST' && r.path === path)!
}

const ANTHROPIC: DroidFormat = { plugin: claude, route: routeOf(claude, '/v1/messages'), factoryPath: '/a/v1/messages', kind: 'anthropic' }
const RESPONSES: DroidFormat = { plugin: openai, route: routeOf(openai, '/v1/responses'), factoryPath: '/o/v1/responses', kind: 'responses' }
const CHAT: DroidFormat = { plugin: openai, route: routeOf(openai, '/v1/chat/completions'), factoryPath: '/o/v1/chat/completions', kind: 'chat' }

/** Client path (under the mount) → its format. */
export const FORMATS: Readonly<Record<string, DroidFormat>> = {
  '/claude/v1/messages': ANTHROPIC,
  '/openai/v1/responses': RESPONSES,
  '/openai/responses': RESPONSES,
  '/comm/v1/chat/completions': CHAT,
}

export function formatOf (route: PluginRoute): DroidFormat | undefined {
  return FORMATS[route.path]
}

/**
 * Which provider Factory routes a chat model to, as Droid names it in `x-api-provider`: Claude
 * and GPT models by their vendor, Gemini Google's, GLM on Fireworks; others as Droid's own
 * registry does for its open models.
 */
export function apiProvider (format: DroidFormat, model: string): string {
  if (format.kind === 'anthropic') return 'anthropic'
  if (format.kind === 'responses') return 'openai'
  const m = model.toLowerCase()
  if (m.startsWith('claude-')) return 'anthropic'
  if (m.startsWith('gpt-') || /^o\d/.test(m)) return 'openai'
  if (m.startsWith('gemini-')) return 'google'
  if (m.startsWith('glm-')) return 'fireworks'
  return 'baseten'
}

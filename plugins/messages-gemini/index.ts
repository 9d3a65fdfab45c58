// The `messages-gemini` bridge: Claude Code and other Anthropic Messages clients on the `gemini`
// plugin's accounts. Enable it beside `gemini` (`{ use: messages-gemini, mount: /gemini-cli/api }`,
// the incumbent's path); Claude Code then names a Gemini model (`ANTHROPIC_MODEL=gemini-2.5-pro`).
import { SPECIFICATION_VERSION, type RelayBridge } from '../../core/plugin-api.ts'
import { messagesGemini } from '../bridges/messages-gemini.ts'

const bridge: RelayBridge = { specificationVersion: SPECIFICATION_VERSION, bridge: 'messages-gemini', target: 'gemini', translator: messagesGemini }
export default bridge

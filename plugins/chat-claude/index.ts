// The `chat-claude` bridge: OpenAI Chat Completions clients on the `claude` plugin's accounts.
// Enable it beside `claude` (`{ use: chat-claude, mount: /openai/claude }`).
import { SPECIFICATION_VERSION, type RelayBridge } from '../../core/plugin-api.ts'
import { chatClaude } from '../bridges/chat-claude.ts'

const bridge: RelayBridge = { specificationVersion: SPECIFICATION_VERSION, bridge: 'chat-claude', target: 'claude', translator: chatClaude }
export default bridge

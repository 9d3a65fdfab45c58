// The `chat-gemini` bridge: OpenAI Chat Completions clients on the `gemini` plugin's accounts.
// Enable it beside `gemini` (`{ use: chat-gemini, mount: /openai/gemini }`).
import { SPECIFICATION_VERSION, type RelayBridge } from '../../core/plugin-api.ts'
import { chatGemini } from '../bridges/chat-gemini.ts'

const bridge: RelayBridge = { specificationVersion: SPECIFICATION_VERSION, bridge: 'chat-gemini', target: 'gemini', translator: chatGemini }
export default bridge

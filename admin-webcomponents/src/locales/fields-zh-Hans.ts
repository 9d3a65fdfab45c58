// Chinese titles and help for the account fields the bundled plugins declare, by field name. A
// field this does not know (another plugin's) shows its schema's own title and description.
export const fieldTexts: Record<string, { title: string, description?: string }> = {
  apiKey: { title: 'API 密钥', description: '服务商的 API 密钥' },
  baseUrl: { title: '基础 URL', description: 'API 地址，可带路径前缀' },
  accessToken: { title: '访问令牌', description: 'OAuth 访问令牌；`claude setup-token` 生成的长期令牌可单独使用' },
  refreshToken: { title: '刷新令牌', description: '访问令牌过期时用它续期' },
  expiresAt: { title: '访问令牌过期时间', description: '毫秒时间戳' },
  email: { title: '邮箱', description: '登录的账号（仅显示）' },
  plan: { title: '套餐', description: '订阅套餐（仅显示）' },
  accountId: { title: 'ChatGPT 账号 ID', description: '作为 chatgpt-account-id 发送' },
  organization: { title: '组织', description: '作为 OpenAI-Organization 请求头发送' },
  project: { title: '项目', description: '作为 OpenAI-Project 请求头发送' },
  websocket: { title: 'WebSocket 上游', description: '上游也通过 WebSocket 提供 Responses API' },
  allowOtherClients: { title: '允许其他客户端', description: '允许官方客户端以外的程序使用此订阅（有违反服务条款的风险）' },
  projectId: { title: 'Google Cloud 项目', description: 'Code Assist 为此账号服务所用的项目（登录时自动发现，也可手动填写）' },
  tier: { title: 'Code Assist 等级', description: 'free-tier、standard-tier 等' },
  scopes: { title: '授权范围', description: '登录授予的权限' },
  stripHeaders: { title: '不转发的请求头', description: '不发给此上游的客户端请求头，例如 x-claude-code-session-id' },
  addHeaders: { title: '附加的请求头', description: '每个请求都附加发送，每行一个 “名称: 值”；按凭据保存' },
  stripResponseHeaders: { title: '不转发的响应头', description: '不让客户端看到的上游响应头' },
  authStyle: { title: '密钥发送方式', description: 'x-api-key（Anthropic 的方式），或 Authorization: Bearer（部分兼容 Claude 的中转服务需要）' },
}

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
  endpoint: { title: '资源端点', description: 'https://<资源名>.openai.azure.com，或其前面的网关' },
  bearerToken: { title: 'Entra ID 令牌', description: '代替密钥：https://cognitiveservices.azure.com 的访问令牌，以 Authorization: Bearer 发送' },
  apiVersion: { title: 'API 版本', description: 'v1（当前 API），或带日期的版本（如 2024-10-21），供只有旧版本的资源使用' },
  deployments: { title: '部署', description: '模型 → 部署，每行一个 “模型: 部署”（可用通配符）；未列出的模型发往同名部署' },
  region: { title: '区域', description: 'Bedrock 运行时所在的 AWS 区域，例如 us-east-1' },
  accessKeyId: { title: '访问密钥 ID', description: '允许 bedrock:InvokeModel 的 IAM 访问密钥（与私有访问密钥一起使用）' },
  secretAccessKey: { title: '私有访问密钥', description: '访问密钥的私有部分' },
  sessionToken: { title: '会话令牌', description: '临时凭证（STS）时需要' },
  stripHeaders: { title: '不转发的请求头', description: '不发给此上游的客户端请求头，例如 x-claude-code-session-id' },
  addHeaders: { title: '附加的请求头', description: '每个请求都附加发送，每行一个 “名称: 值”；按凭据保存' },
  stripResponseHeaders: { title: '不转发的响应头', description: '不让客户端看到的上游响应头' },
  authStyle: { title: '密钥发送方式', description: 'x-api-key（Anthropic 的方式），或 Authorization: Bearer（部分兼容 Claude 的中转服务需要）' },
}

/** Fields named like the common ones above but meaning their account type's own thing, by their English title. */
export const fieldTextsByTitle: Record<string, { title: string, description?: string }> = {
  'Bedrock API key': { title: 'Bedrock API 密钥', description: '代替访问密钥：Bedrock API 密钥，以 Bearer 发送' },
  Endpoint: { title: '端点', description: '运行时端点，不是 https://bedrock-runtime.<区域>.amazonaws.com 时填写（例如 VPC 端点）' },
  'Factory API key': { title: 'Factory API 密钥', description: 'Factory API 密钥（fk-...）；或用订阅登录此账号' },
}

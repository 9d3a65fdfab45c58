// Azure's URLs are built from the client's model: whatever the model and the account's
// deployments, a request either has no deployment (refused before any account is called) or goes
// to a canonical path under the resource's `/openai` whose deployment segment is a deployment name.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { azureCannotServe, azurePath, azureQuery, deploymentFor } from '../../../plugins/openai/azure.ts'
import { parseTarget, TargetProblem } from '../../../core/relay/request-target.ts'
import type { AccountView, IncomingRequest, ParsedRequest } from '../../../core/plugin-api.ts'

const deployment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/)
const hostileModel = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('../admin', '..', '.', 'a/b', 'a?b', 'a#b', 'a%2Fb', 'gpt 5', 'gpt-5\r\nx: y', '%2e%2e', 'ｇｐｔ', 'gpt-5.4'),
  deployment,
)
const account = (fields: Record<string, unknown>, modelMap?: Record<string, string>): AccountView => ({ id: 'a', name: 'az', type: 'azure-openai', fields: { endpoint: 'https://r.openai.azure.com', apiKey: 'k', ...fields }, modelMap })
const chat: IncomingRequest = { method: 'POST', path: '/v1/chat/completions', upstreamPath: '/chat/completions', query: 'api-version=2099-01-01&x=1', headers: {}, body: undefined }

test('any model, any deployments: refused, or a canonical path whose deployment segment is a deployment name', () => {
  fc.assert(fc.property(
    hostileModel,
    fc.dictionary(fc.oneof(hostileModel, hostileModel.map(m => `${m}*`)), deployment, { maxKeys: 5 }),
    fc.constantFrom('v1', '2024-10-21', '2025-04-01-preview'),
    (model, deployments, apiVersion) => {
      const acct = account({ deployments, apiVersion })
      const parsed: ParsedRequest = { model, stream: false, clientKind: 'sdk' }
      if (azureCannotServe(acct, parsed) !== undefined) return
      const name = deploymentFor(acct, model)
      assert.match(name, /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)
      const path = azurePath(chat, parsed, acct)
      const target = parseTarget(path)
      assert.ok(!(target instanceof TargetProblem) && target.path === path, `canonical: ${path}`)
      assert.equal(path, apiVersion === 'v1' ? '/v1/chat/completions' : `/deployments/${name}/chat/completions`)
      // The client's query is never Azure's: only the account's version goes.
      assert.equal(azureQuery(acct), apiVersion === 'v1' ? '' : `api-version=${apiVersion}`)
    }))
})

test('the deployment: the account\'s model map first, then its deployments (exact in any case, then globs), else the model\'s own name', () => {
  const acct = account({ deployments: { 'GPT-5.4': 'exact', 'gpt-5*': 'glob' } }, { 'gpt-latest': 'gpt-5.4' })
  assert.deepEqual(['gpt-5.4', 'gpt-latest', 'gpt-5-mini', 'gpt-4o'].map(m => deploymentFor(acct, m)), ['exact', 'exact', 'glob', 'gpt-4o'])
  assert.match(azureCannotServe(acct, { model: '../admin', stream: false, clientKind: 'sdk' })!, /no deployment/)
  assert.equal(azureCannotServe({ ...acct, type: 'openai-api-key' }, { model: '../admin', stream: false, clientKind: 'sdk' }), undefined)
})

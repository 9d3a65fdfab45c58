// The `bedrock` account type: Claude on AWS Bedrock, with an IAM access key (signed with SigV4)
// or a Bedrock API key (a bearer), in one region, or at an endpoint of the operator's (a VPC
// endpoint, a gateway).
import type { AccountTypeSpec } from '../../../core/plugin-api.ts'

export const BEDROCK_TYPE = 'bedrock'
/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`. */
const REGION = '^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d{1,2}$'

export const bedrockAccountType: AccountTypeSpec = {
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['region'],
    properties: {
      region: { title: 'Region', type: 'string', pattern: REGION, description: 'the AWS region of the Bedrock runtime, e.g. us-east-1' },
      accessKeyId: { title: 'Access key ID', type: 'string', pattern: '^[A-Z0-9]{16,128}$', description: 'an IAM access key allowed bedrock:InvokeModel (with the secret access key)' },
      secretAccessKey: { title: 'Secret access key', type: 'string', minLength: 1, maxLength: 512, writeOnly: true, description: 'the access key\'s secret' },
      sessionToken: { title: 'Session token', type: 'string', minLength: 1, maxLength: 8192, writeOnly: true, description: 'for temporary credentials (STS)' },
      apiKey: { title: 'Bedrock API key', type: 'string', minLength: 1, maxLength: 8192, writeOnly: true, description: 'instead of an access key: a Bedrock API key, sent as a bearer' },
      baseUrl: { title: 'Endpoint', type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$', description: 'the runtime endpoint, when not https://bedrock-runtime.<region>.amazonaws.com (a VPC endpoint)' },
    },
  },
  fieldsProblem: fields => {
    const iam = fields.accessKeyId !== undefined || fields.secretAccessKey !== undefined
    if (iam && (fields.accessKeyId === undefined || fields.secretAccessKey === undefined)) return 'a bedrock account with an access key needs both accessKeyId and secretAccessKey'
    if (!iam && fields.apiKey === undefined) return 'a bedrock account needs accessKeyId and secretAccessKey, or apiKey (a Bedrock API key)'
    if (iam && fields.apiKey !== undefined) return 'a bedrock account takes an access key or an API key, not both'
    return undefined
  },
}

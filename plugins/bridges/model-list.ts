// The bridges' answer to a `models` route: one body both SDK families read. OpenAI's list
// (`object`, `data[].object/created/owned_by`) and Anthropic's page (`data[].type/display_name/
// created_at`, `has_more`, `first_id`, `last_id`) have disjoint fields, so one body carries
// both: a mount path shared by Claude's and OpenAI's formats (`/api`) answers each client.
import type { ListedModel } from '../../core/plugin-api.ts'

export function modelListBody (models: ListedModel[]) {
  return {
    object: 'list',
    data: models.map(m => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider, type: 'model', display_name: m.id, created_at: '1970-01-01T00:00:00Z' })),
    has_more: false,
    first_id: models[0]?.id ?? null,
    last_id: models.at(-1)?.id ?? null,
  }
}

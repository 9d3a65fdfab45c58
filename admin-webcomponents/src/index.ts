// The relay's widgets, one ES module (served at /_relay/admin/widgets.js): importing it defines
// every element. Each works on its own in any page.
import { RelayKeys } from './relay-keys.ts'
import { RelayAccounts } from './relay-accounts.ts'
import { RelayUsage } from './relay-usage.ts'
import { RelayRequestLog } from './relay-request-log.ts'
import { RelayKeyUsage } from './relay-key-usage.ts'
import { RelayAdmin } from './relay-admin.ts'
import { RelayPrices } from './relay-prices.ts'
import { RelayAdminUsers } from './relay-admin-users.ts'
import { RelayKeyDetail } from './relay-key-detail.ts'
import { RelayOverview } from './relay-overview.ts'
import { RelaySettings } from './relay-settings.ts'

export { RelayKeys, RelayAccounts, RelayUsage, RelayRequestLog, RelayKeyUsage, RelayAdmin, RelayPrices, RelayAdminUsers, RelayKeyDetail, RelayOverview, RelaySettings }
export type { RelayEventMap } from './base.ts'

const elements: [string, CustomElementConstructor][] = [
  ['relay-keys', RelayKeys], ['relay-accounts', RelayAccounts], ['relay-usage', RelayUsage],
  ['relay-request-log', RelayRequestLog], ['relay-key-usage', RelayKeyUsage], ['relay-prices', RelayPrices], ['relay-admin-users', RelayAdminUsers], ['relay-key-detail', RelayKeyDetail], ['relay-overview', RelayOverview], ['relay-settings', RelaySettings], ['relay-admin', RelayAdmin],
]
for (const [name, element] of elements) if (!customElements.get(name)) customElements.define(name, element)

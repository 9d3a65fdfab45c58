// The shipped Caddy kit (caddy/) in front of a real sidecar process: every case a gateway kit
// must pass (gateway-cases.ts).
import { startCaddy } from '../helpers/caddy.ts'
import { gatewayCases } from './gateway-cases.ts'

gatewayCases('caddy', 'caddy', (t, bin, sidecarPort, toolPort) => startCaddy(t, bin, sidecarPort, { toolPort }))

// The Express gateway adapter (adapters/express/) in a real Express app, the shipped example, in
// front of a real sidecar process: every case a gateway kit must pass (gateway-cases.ts).
import type { AddressInfo } from 'node:net'
import { createExampleGateway } from '../../adapters/express/example.ts'
import { gatewayCases } from '../integration/gateway-cases.ts'

gatewayCases('express', undefined, async (t, _bin, sidecarPort, toolPort) => {
  const { server } = createExampleGateway({ sidecar: `http://127.0.0.1:${sidecarPort}`, tool: `http://127.0.0.1:${toolPort}` })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

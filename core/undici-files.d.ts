// undici types only its index. The files core/http-client.ts loads one by one are typed there,
// each as what the index exports from it; here they are only declared to exist.
declare module 'undici/lib/*' {
  const exported: unknown
  export default exported
}

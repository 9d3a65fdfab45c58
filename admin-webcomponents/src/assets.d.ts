// CSS imported as text (esbuild's `text` loader), adopted into a shadow root with unsafeCSS.
declare module '*.css' {
  const text: string
  export default text
}

// Both entry points end the same way once they have the CLI's `main` (from the sources or from
// the build): run it on this process's arguments and streams, and exit with its code.
export async function runMain (main) {
  process.exitCode = await main(process.argv.slice(2), {
    out: line => process.stdout.write(line + '\n'),
    err: line => process.stderr.write(line + '\n'),
    env: process.env,
    stdin: process.stdin,
  })
}

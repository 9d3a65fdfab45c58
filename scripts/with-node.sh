#!/usr/bin/env bash
# Runs a command under another major Node.js release: `bash scripts/with-node.sh 22 npm test`.
# The binary comes from the npm registry (node-linux-<arch>, the official build and its headers),
# better-sqlite3 is rebuilt against it, and rebuilt again for the machine's own Node afterwards,
# so the work tree is left as it was found. CI runs the tests this way on Node 22 and 24.
set -euo pipefail
major=$1
shift
cd "$(dirname "$0")/.."
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "with-node: no Node build for $(uname -m) on npm" >&2; exit 2 ;;
esac
cache=${NODE_VERSIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-relay-node}
dir="$cache/$major"
if [ ! -x "$dir/package/bin/node" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "node-linux-$arch@$major" >/dev/null && tar xzf node-linux-*.tgz && rm node-linux-*.tgz)
fi
node_dir="$dir/package"
restore () {
  npm rebuild better-sqlite3 --loglevel=error >/dev/null 2>&1 || echo "with-node: rebuilding better-sqlite3 for $(node --version) failed; run npm rebuild better-sqlite3" >&2
}
trap restore EXIT
PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" npm rebuild better-sqlite3 --loglevel=error >/dev/null
echo "with-node: $("$node_dir/bin/node" --version)"
PATH="$node_dir/bin:$PATH" "$@"

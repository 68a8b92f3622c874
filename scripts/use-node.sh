# Source this file (bash): `. scripts/use-node.sh [22|24]`.
#
# Makes `node` on PATH a Node.js version that package.json's `engines` supports. When the machine's
# own node is not one (or not of the major line asked for), it installs the pinned release of that
# line from the npm registry (the package node-<platform>-<arch>, which ships the binary and its C
# headers) into a cache outside the repository and puts it first on PATH.
#
# It also exports npm_config_nodedir as the prefix of the node in use: better-sqlite3 compiles from
# source when its prebuilt binary cannot be downloaded, and node-gyp must then compile against the
# headers of the node that will load the addon. A nodedir left pointing at another version's headers
# (a ~/.npmrc with nodedir=/usr, say) builds an addon that the running node refuses to load.

# Pinned releases per supported major line: update them together with engines in package.json.
SCIM_NODE_RELEASE_24=24.22.3
SCIM_NODE_RELEASE_22=22.22.3

scim_use_node() {
  local wanted_major=${1:-}
  local repo_root
  repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local engines
  engines=$(sed -n 's/^ *"node": *"\(.*\)",\{0,1\}$/\1/p' "$repo_root/package.json" | head -1)
  if [ -z "$engines" ]; then
    echo "use-node: cannot read engines.node from $repo_root/package.json" >&2
    return 1
  fi

  if scim_node_is_supported "$engines" "$wanted_major"; then
    scim_export_nodedir "$(dirname "$(dirname "$(command -v node)")")"
    return 0
  fi

  local major=${wanted_major:-24}
  local release_var="SCIM_NODE_RELEASE_$major"
  local release=${!release_var:-}
  if [ -z "$release" ]; then
    echo "use-node: no pinned Node.js release for major $major (supported: $engines)" >&2
    return 1
  fi

  local platform arch
  case "$(uname -s)" in
    Linux) platform=linux ;;
    Darwin) platform=darwin ;;
    *) echo "use-node: unsupported platform $(uname -s); install Node.js $engines yourself" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "use-node: unsupported CPU $(uname -m); install Node.js $engines yourself" >&2; return 1 ;;
  esac

  local cache=${SCIM_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-node}
  local prefix="$cache/$release"
  if [ ! -x "$prefix/bin/node" ] || [ ! -f "$prefix/include/node/node.h" ]; then
    echo "use-node: installing Node.js $release (npm package node-$platform-$arch) into $prefix" >&2
    local staging
    staging=$(mktemp -d "$cache.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache/.staging.XXXXXX"; }) || return 1
    if ! (cd "$staging" && npm pack --silent "node-$platform-$arch@$release" >/dev/null && tar -xzf ./*.tgz); then
      echo "use-node: could not download node-$platform-$arch@$release from the npm registry" >&2
      rm -rf "$staging"
      return 1
    fi
    if [ ! -f "$staging/package/include/node/node.h" ]; then
      echo "use-node: node-$platform-$arch@$release ships no C headers; native addons cannot be built" >&2
      rm -rf "$staging"
      return 1
    fi
    mkdir -p "$cache"
    rm -rf "$prefix"
    mv "$staging/package" "$prefix"
    rm -rf "$staging"
  fi
  export PATH="$prefix/bin:$PATH"
  hash -r
  scim_export_nodedir "$prefix"
  echo "use-node: using Node.js $(node --version) from $prefix/bin" >&2
}

# True when the node on PATH satisfies engines (caret ranges only) and, if given, has that major.
scim_node_is_supported() {
  local engines=$1 wanted_major=$2
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [current, engines, wanted] = [process.versions.node, process.argv[1], process.argv[2]];
    const parse = (v) => v.split(".").map(Number);
    const [major, minor, patch] = parse(current);
    if (wanted && Number(wanted) !== major) process.exit(1);
    const ok = engines.split("||").map((r) => r.trim()).some((range) => {
      const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
      if (!m) return false;
      const [rMajor, rMinor, rPatch] = m.slice(1).map(Number);
      return major === rMajor && (minor > rMinor || (minor === rMinor && patch >= rPatch));
    });
    process.exit(ok ? 0 : 1);
  ' "$engines" "$wanted_major"
}

scim_export_nodedir() {
  local prefix=$1
  if [ -f "$prefix/include/node/node.h" ]; then
    export npm_config_nodedir="$prefix"
  else
    # No headers beside this node: let node-gyp fetch the matching ones rather than use wrong ones.
    unset npm_config_nodedir
    echo "use-node: no C headers under $prefix/include/node; node-gyp will try to download them" >&2
  fi
}

scim_use_node "$@"

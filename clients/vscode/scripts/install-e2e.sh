#!/usr/bin/env bash
# Install everything the VS Code extension's tests need on a fresh Debian machine
# (run as root): chromium, code-server 4.100.3, the extension's npm packages
# (playwright-core among them), and a built splice.vsix. Idempotent: each step
# checks first and does nothing when its result is already there.
#
# Usage: bash clients/vscode/scripts/install-e2e.sh
# code-server goes to $SPLICE_E2E_TOOLS (default ~/.cache/splice-e2e).
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# code-server 4.100.3 pulls in @vscode/ripgrep 1.15.11, whose install script
# downloads rg from the internet; we hand it Debian's rg through its cache instead.
RIPGREP_PACKAGE_VERSION=1.15.11
RIPGREP_ASSET_VERSION=v13.0.0-10
APT_PACKAGES=(chromium libkrb5-dev ripgrep)

extension_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Outside the repository so that fresh clones (CI's) reuse it; the e2e test
# looks in the same place (SPLICE_E2E_TOOLS overrides both).
tools_dir="${SPLICE_E2E_TOOLS:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/splice-e2e}"
code_server="$tools_dir/node_modules/.bin/code-server"
script_start=$SECONDS

step() { printf 'install-e2e: %s\n' "$*"; }
elapsed() { printf 'install-e2e: %s took %ds\n' "$1" $((SECONDS - $2)); }

install_apt_packages() {
    local missing=() package started=$SECONDS
    for package in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then
        step "apt packages already installed (${APT_PACKAGES[*]})"
        return
    fi
    if ((EUID != 0)); then
        step "missing Debian packages: ${missing[*]}; run this script as root" >&2
        exit 1
    fi
    step "apt-get install ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    elapsed "apt-get install" "$started"
}

ripgrep_target() {
    case "$(uname -m)" in
        x86_64) echo x86_64-unknown-linux-musl ;;
        aarch64 | arm64) echo aarch64-unknown-linux-musl ;;
        *) step "unsupported machine $(uname -m) for the ripgrep cache" >&2; exit 1 ;;
    esac
}

seed_ripgrep_cache() {
    local cache_dir asset staging
    cache_dir="${TMPDIR:-/tmp}/vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}"
    asset="$cache_dir/ripgrep-${RIPGREP_ASSET_VERSION}-$(ripgrep_target).tar.gz"
    if [[ -s "$asset" ]]; then
        return
    fi
    step "seeding $asset with Debian's rg"
    mkdir -p "$cache_dir"
    staging="$(mktemp -d)"
    cp "$(command -v rg)" "$staging/rg"
    tar -czf "$asset.partial" -C "$staging" rg
    mv "$asset.partial" "$asset"
    rm -rf "$staging"
}

# The first run may print a log line ("Wrote default config file") before the version.
code_server_version() {
    if [[ -x "$code_server" ]]; then
        "$code_server" --version 2>/dev/null | grep -oE '^[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true
    fi
}

install_code_server() {
    local installed started=$SECONDS
    installed="$(code_server_version)"
    if [[ "$installed" == "$CODE_SERVER_VERSION" ]]; then
        step "code-server $CODE_SERVER_VERSION already installed in $tools_dir"
        return
    fi
    seed_ripgrep_cache
    step "npm install code-server@$CODE_SERVER_VERSION into $tools_dir (about a minute)"
    mkdir -p "$tools_dir"
    # A package.json of its own, so npm installs here instead of walking up.
    [[ -f "$tools_dir/package.json" ]] || echo '{"private": true}' >"$tools_dir/package.json"
    # Not `npm install -g`: code-server's postinstall runs `npm install` in
    # lib/vscode (whose package is also named code-server), and the inherited
    # npm_config_global turns that into a global install over itself.
    # unsafe-perm: as root, code-server's postinstall insists on it; yes: node-pty
    # runs npx. npm 11 blocks dependency install scripts by default, and
    # code-server's are its whole build, nested installs included, hence the
    # environment variable rather than a flag.
    (cd "$tools_dir" && npm_config_unsafe_perm=true npm_config_yes=true \
        npm_config_dangerously_allow_all_scripts=true \
        npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION")
    installed="$(code_server_version)"
    if [[ "$installed" != "$CODE_SERVER_VERSION" ]]; then
        step "code-server did not install: '$code_server --version' says '$installed'" >&2
        exit 1
    fi
    elapsed "code-server install" "$started"
}

install_node_modules() {
    local stamp="$extension_dir/node_modules/.splice-package-lock.sha256" wanted started=$SECONDS
    wanted="$(sha256sum "$extension_dir/package-lock.json" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        step "node_modules up to date with package-lock.json"
        return
    fi
    step "npm ci in $extension_dir"
    # No dependency needs its install script here (esbuild runs without it,
    # vsce-sign's would download a binary), so none runs, whatever npm's version.
    (cd "$extension_dir" && npm ci --ignore-scripts --no-audit --no-fund)
    echo "$wanted" >"$stamp"
    elapsed "npm ci" "$started"
}

package_extension() {
    local vsix="$extension_dir/splice.vsix" started=$SECONDS
    # The .vsix carries splice itself (bundled/): the server's sources count too.
    if [[ -f "$vsix" ]] && [[ -z "$(cd "$extension_dir" && find src package.json tsconfig.json README.md CHANGELOG.md LICENSE .vscodeignore images \
        bundled/tool scripts/bundle_python.py ../../server/splice ../../pyproject.toml ../../docs/edits.md \
        -newer "$vsix" -not -path '*/__pycache__/*' -print -quit)" ]]; then
        step "splice.vsix up to date"
        return
    fi
    step "npm run package"
    (cd "$extension_dir" && npm run --silent package)
    elapsed "npm run package" "$started"
}

install_apt_packages
install_code_server
install_node_modules
package_extension
step "done in $((SECONDS - script_start))s: chromium $(chromium --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -n 1), code-server $(code_server_version) at $code_server"

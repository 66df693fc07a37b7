#!/usr/bin/env bash
# The printed documents (hub/documents) need Pango for WeasyPrint and a CJK font that fontconfig
# finds by family name ("Noto Serif CJK SC"); install both from Debian's packages when missing.
set -eu  # no pipefail: grep closing the pipe early must not fail a check
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
ldconfig -p 2>/dev/null | grep "libpangoft2-1.0.so.0" >/dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep "Noto Serif CJK" >/dev/null || missing+=(fonts-noto-cjk fontconfig)
if [ ${#missing[@]} -gt 0 ]; then
  echo "documents: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

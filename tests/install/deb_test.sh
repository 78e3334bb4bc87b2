#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian packages with CPack and checks them without installing: the files each
# carries, the control fields (Depends from dpkg-shlibdeps, conffiles, maintainer scripts), that
# the packaged binary accepts the packaged config with the packaged plugins, and that the unit
# passes `systemd-analyze verify` with nothing to say.
# Usage: deb_test.sh CPACK BUILD_DIR WORK_DIR
set -euo pipefail

cpack=$1 build=$2 work=$3

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Without dpkg-shlibdeps CPack still succeeds, with no Depends line at all.
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null ||
    fail "$tool not found (package dpkg-dev; scripts/deps --test installs it)"
done

rm -rf "$work"
mkdir -p "$work"
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
  fail "cpack: $(cat "$work/cpack.log")"
shopt -s nullglob
debs=("$work"/resync-mon_*.deb)
devs=("$work"/resync-mon-dev_*.deb)
((${#debs[@]} == 1)) || fail "expected one resync-mon_*.deb in $work, found ${#debs[@]}"
((${#devs[@]} == 1)) || fail "expected one resync-mon-dev_*.deb in $work, found ${#devs[@]}"
deb=${debs[0]} dev=${devs[0]}

# Paths only ("./usr/bin/resync-mon"), one a line.
contents() { dpkg-deb -c "$1" | awk '{print $6}'; }
# Each argument is an extended regular expression matching one whole path.
expect_files() {
  local pkg=$1 listing
  shift
  listing=$(contents "$pkg")
  for f in "$@"; do
    grep -qxE "$f" <<<"$listing" || fail "$(basename "$pkg") lacks $f; it has:"$'\n'"$listing"
  done
}

expect_files "$deb" ./usr/bin/resync-mon ./etc/resync-mon/resync-mon.yaml \
  ./usr/lib/systemd/system/resync-mon.service ./usr/lib/sysusers.d/resync-mon.conf \
  ./usr/share/doc/resync-mon/README.md \
  ./usr/share/doc/resync-mon/docs/configuration.md ./usr/share/doc/resync-mon/copyright \
  ./usr/lib/resync-mon/plugins/system.so ./usr/lib/resync-mon/plugins/api.so \
  ./usr/lib/resync-mon/plugins/cache.so ./usr/lib/resync-mon/plugins/agents.so \
  ./usr/lib/resync-mon/plugins/tws.so ./usr/lib/resync-mon/resync-mon-tls.so \
  ./usr/share/doc/resync-mon/changelog.gz \
  ./usr/share/man/man1/resync-mon.1.gz ./usr/share/bash-completion/completions/resync-mon \
  ./usr/share/zsh/vendor-completions/_resync-mon
# The SDK's libdir is lib/<multiarch> when the build was configured for the /usr prefix.
lib='\./usr/lib/([a-z0-9_-]+/)?'
expect_files "$dev" ./usr/include/resync/plugin_abi.h ./usr/include/resync/plugin/plugin.hpp \
  "${lib}cmake/ResyncMon/ResyncMonConfig.cmake" \
  "${lib}cmake/ResyncMon/ResyncMonConfigVersion.cmake" \
  "${lib}cmake/ResyncMon/ResyncMonTargets.cmake" "${lib}cmake/ResyncMon/ResyncMonPlugin.cmake" \
  "${lib}libresync_plugin_sdk.a" ./usr/share/doc/resync-mon-dev/copyright \
  ./usr/share/doc/resync-mon-dev/changelog.gz
if contents "$deb" | grep -E '^\./usr/(include|local)/|\.a$|/cmake/'; then
  fail "resync-mon carries SDK or /usr/local files (above)"
fi
if contents "$dev" | grep -E '^\./(etc|usr/bin|usr/local)/|\.so$'; then
  fail "resync-mon-dev carries runtime files (above)"
fi

depends=$(dpkg-deb -f "$deb" Depends)
[[ -n $depends ]] || fail "resync-mon has no Depends (dpkg-shlibdeps did not run?)"
grep -q 'libpoco' <<<"$depends" || fail "resync-mon's Depends lacks Poco: $depends"
# OpenSSL is the TLS module's only (dpkg-shlibdeps reads it too); the binary itself never links it.
grep -q 'libssl' <<<"$depends" || fail "resync-mon's Depends lacks OpenSSL: $depends"
grep -q 'resync-mon (= ' <<<"$(dpkg-deb -f "$dev" Depends)" ||
  fail "resync-mon-dev does not depend on resync-mon"

control=$work/control
dpkg-deb -e "$deb" "$control"
grep -qxF /etc/resync-mon/resync-mon.yaml "$control/conffiles" ||
  fail "the config is not a conffile"
for script in postinst prerm postrm; do
  [[ -x $control/$script ]] || fail "no executable $script"
  sh -n "$control/$script" || fail "$script is not valid sh"
done

# The packaged binary finds the packaged plugins beside itself (../lib/resync-mon/plugins).
root=$work/root
dpkg-deb -x "$deb" "$root"
grep -q 'state_file: /var/lib/resync-mon/state' "$root/etc/resync-mon/resync-mon.yaml" ||
  fail "the packaged config keeps no state under /var/lib/resync-mon"
grep -q 'install -d -o resync-mon -g resync-mon -m 0750 /var/lib/resync-mon' "$control/postinst" ||
  fail "postinst does not create the state folder that config check requires"
# config check requires the state folder, which postinst creates on a real install: check the
# packaged config as is but for that folder, moved under $work.
mkdir -p "$work/var/lib/resync-mon"
sed "s|/var/lib/resync-mon|$work/var/lib/resync-mon|" "$root/etc/resync-mon/resync-mon.yaml" \
  >"$work/packaged.yaml"
"$root/usr/bin/resync-mon" config check "$work/packaged.yaml" >"$work/check.log" 2>&1 ||
  fail "the packaged config does not pass config check: $(cat "$work/check.log")"
# The packaged binary loads the packaged TLS module (../lib/resync-mon beside itself) for
# server.tls, and links no OpenSSL of its own.
if readelf -d "$root/usr/bin/resync-mon" | grep -E 'NEEDED.*(libssl|libcrypto|NetSSL)'; then
  fail "the binary links a TLS library (above); only resync-mon-tls.so may"
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/tls.key" -out "$work/tls.pem" >/dev/null 2>&1 || fail "openssl req failed"
printf 'server:\n  tls: {cert_file: "%s", key_file: "%s"}\n' "$work/tls.pem" "$work/tls.key" \
  >"$work/tls.yaml"
"$root/usr/bin/resync-mon" config check "$work/tls.yaml" >"$work/tls-check.log" 2>&1 ||
  fail "the packaged binary cannot check server.tls files: $(cat "$work/tls-check.log")"

# The manual and the completions come from the packaged binary's own command tree.
man_page=$root/usr/share/man/man1/resync-mon.1.gz
for sub in serve discover hash-password completion; do
  zcat "$man_page" | grep -qxF ".SS ${sub//-/\\-}" || fail "resync-mon(1) has no section for $sub"
done
zcat "$man_page" | grep -q '^\.SH CONFIGURATION' || fail "resync-mon(1) has no CONFIGURATION"
# What `systemctl reload` does, and that it re-reads the certificates (issue 18).
zcat "$man_page" | grep -q '^\.SH SIGNALS' || fail "resync-mon(1) has no SIGNALS"
zcat "$man_page" | grep -q 'SIGHUP makes serve' || fail "resync-mon(1) does not say what SIGHUP does"
zcat "$man_page" | grep -q '^tls ({cert_file, key_file}.*re\\-read on reload' ||
  fail "resync-mon(1) does not document server.tls"
grep -q 'complete -F _resync_mon resync-mon' "$root/usr/share/bash-completion/completions/resync-mon" ||
  fail "the bash completion does not register itself"
zcat "$root/usr/share/doc/resync-mon/changelog.gz" | head -1 | grep -q "^resync-mon ($(dpkg-deb -f "$deb" Version))" ||
  fail "the Debian changelog's first entry is not this version"

# lintian: no error and no warning on either package (informational tags are allowed).
if command -v lintian >/dev/null; then
  lint=$(lintian --tag-display-limit 0 "$deb" "$dev" 2>&1 | grep -v 'running with root privileges' || true)
  if grep -E '^(E|W): ' <<<"$lint"; then
    fail "lintian reports errors or warnings (above)"
  fi
else
  fail "lintian not found (package lintian; scripts/deps --test installs it)"
fi

# verify resolves ExecStart= on this machine, where /usr/bin/resync-mon need not exist: point it
# at the extracted binary, keep every other line.
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not found (package systemd); the package checks passed"
  exit 77
fi
unit=$root/usr/lib/systemd/system/resync-mon.service
grep -qxF 'ExecStart=/usr/bin/resync-mon serve --config /etc/resync-mon/resync-mon.yaml' "$unit" ||
  fail "unexpected ExecStart in the unit"
# `systemctl reload` sends SIGHUP, which makes serve reload its configuration.
grep -qxF 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "the unit lacks ExecReload"
# Readers in the resync-mon group can open the state file (issue 15): a static user and group, a
# group-readable state folder and files; DynamicUser's /var/lib/private would shut them out.
for line in User=resync-mon Group=resync-mon StateDirectoryMode=0750 UMask=0027; do
  grep -qxF "$line" "$unit" || fail "the unit lacks $line"
done
if grep -q '^DynamicUser=yes' "$unit"; then fail "DynamicUser=yes hides the state from readers"; fi
mkdir -p "$work/verify"
sed "s|^ExecStart=/usr/bin/resync-mon|ExecStart=$root/usr/bin/resync-mon|" "$unit" \
  >"$work/verify/resync-mon.service"
# Unknown keys and bad values are only warnings (exit 0): any output about the unit fails the test.
out=$(systemd-analyze verify "$work/verify/resync-mon.service" 2>&1) ||
  fail "systemd-analyze verify: $out"
if grep -i 'resync-mon' <<<"$out"; then
  fail "systemd-analyze verify complains about the unit (above)"
fi
rm -rf "$work"
echo "ok: $(basename "$deb") and $(basename "$dev") hold what they should; the unit verifies"

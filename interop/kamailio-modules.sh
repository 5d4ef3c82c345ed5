#!/usr/bin/env bash
# Prints the directory of Kamailio's modules (the one holding presence_xml.so) and exits 0, or
# exits 1 if Kamailio's presence modules are not installed. Debian installs them under
# /usr/lib/<multiarch triplet>/kamailio/modules; the triplet is asked of dpkg, not assumed.
set -u
for dir in \
  "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null)/kamailio/modules" \
  /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules /usr/local/lib*/kamailio/modules; do
  if [ -e "$dir/presence_xml.so" ]; then echo "$dir"; exit 0; fi
done
exit 1

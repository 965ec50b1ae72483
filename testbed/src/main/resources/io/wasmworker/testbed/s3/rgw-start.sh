#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster on loopback: one monitor, one in-memory (memstore) OSD,
# one radosgw (the S3 server). All state lives under $D and is lost when the processes stop.
# Used by the tests' Rgw fixture; the recipe and its two hard-won settings (crc message modes, a
# loopback cluster address) are in the project's research notes on S3 servers.
# Needs: apt-get install ceph-mon ceph-osd radosgw.  In: D, MON_PORT, RGW_PORT.  Out: pid files in $D/run.
set -euo pipefail
: "${D:?}" "${MON_PORT:?}" "${RGW_PORT:?}"
mkdir -p "$D"/{run,log,mon,osd,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
ms mon client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
client mount timeout = 30
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
keyring = $D/keyring
mon data = $D/mon/\$id
osd data = $D/osd/\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 2000
osd crush chooseleaf type = 0
osd max object name len = 460
osd max object namespace len = 64
# no debug logging, not even to the in-memory ring Ceph keeps by default (1/5): CPU per request
debug rgw = 0/0
debug osd = 0/0
debug ms = 0/0
debug monc = 0/0
debug objecter = 0/0
debug rados = 0/0
debug auth = 0/0
debug objclass = 0/0
debug filestore = 0/0
debug memstore = 0/0
[client.rgw.a]
# tcp_nodelay: without it a GET's body waits for the client's delayed ACK of its headers (~40 ms per
# request on a pooled connection; bench/RESULTS.md)
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $D/rgw
rgw dns name = localhost
CONF
C="-c $D/ceph.conf"
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon $C --mkfs -i a --monmap "$D/monmap"
ceph-mon $C -i a
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ID=$(ceph $C osd new "$OSD_UUID")
mkdir -p "$D/osd/$ID"
ceph-osd $C -i "$ID" --mkfs --osd-uuid "$OSD_UUID" 2>/dev/null
ceph-osd $C -i "$ID"
for i in $(seq 1 60); do ceph $C osd stat 2>/dev/null | grep -q ' 1 up' && break; sleep 1; done
radosgw $C -n client.rgw.a
for i in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && break; sleep 1; done
curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" || { echo "radosgw did not answer on $RGW_PORT; logs in $D/log" >&2; exit 1; }
radosgw-admin $C user create --uid=test --display-name=test --access-key=testkey --secret=testsecret >/dev/null
echo "rgw up on http://127.0.0.1:$RGW_PORT"

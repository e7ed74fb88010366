#!/bin/sh
# Benchmark (not a timed test): time to try the 61 Mirai pairs on the telnet, SSH, FTP and HTTP
# services of one loopback "device" (busybox telnetd + login, dropbear, vsftpd, lighttpd
# Basic), with iotlabel-probe and with hydra at the same concurrency (4). Needs root (mount
# namespaces for a private /etc/passwd), busybox-static, dropbear-bin, vsftpd, lighttpd,
# hydra, openssl, bc, python3. Usage: sh crates/iotlabel-probe/benches/hydra-comparison.sh
set -eu
workspace=$(cd "$(dirname "$0")/../../.." && pwd)
dir=$(mktemp -d)
pids=""
cleanup() {
    for pid in $pids; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

TELNET=42323 SSH=42222 FTP=42121 HTTP=48080
CONCURRENCY=${CONCURRENCY:-4}
# The device's defaults (all in the Mirai list); other Mirai users do not exist on it.
TELNET_PASSWORD=smcadmin SSH_PASSWORD=password FTP_PASSWORD=admin1234 HTTP_PASSWORD=1234

start() { setsid "$@" >/dev/null 2>&1 & pids="$pids $!"; }

hash=$(openssl passwd -1 "$TELNET_PASSWORD")
printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000:admin:/tmp:/bin/sh\n' > "$dir/passwd"
printf 'root:*:19000:0:99999:7:::\nadmin:%s:19000:0:99999:7:::\n' "$hash" > "$dir/shadow"
ln -s /bin/busybox "$dir/login"
start unshare -m sh -c "mount --make-rprivate /; mount --bind $dir/passwd /etc/passwd && mount --bind $dir/shadow /etc/shadow && exec /bin/busybox telnetd -F -b 127.0.0.1 -p $TELNET -l $dir/login"

hash=$(openssl passwd -1 "$SSH_PASSWORD")
mkdir "$dir/ssh"
printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000:admin:/tmp:/bin/sh\n' > "$dir/ssh/passwd"
printf 'root:*:19000:0:99999:7:::\nadmin:%s:19000:0:99999:7:::\n' "$hash" > "$dir/ssh/shadow"
dropbearkey -t ed25519 -f "$dir/ssh/host" >/dev/null 2>&1
start unshare -m sh -c "mount --make-rprivate /; mount --bind $dir/ssh/passwd /etc/passwd && mount --bind $dir/ssh/shadow /etc/shadow && exec /usr/sbin/dropbear -F -E -p 127.0.0.1:$SSH -r $dir/ssh/host -P $dir/ssh/pid"

hash=$(openssl passwd -1 "$FTP_PASSWORD")
mkdir "$dir/ftp" "$dir/empty"
printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000:admin:/tmp:/bin/sh\n' > "$dir/ftp/passwd"
printf 'root:*:19000:0:99999:7:::\nadmin:%s:19000:0:99999:7:::\n' "$hash" > "$dir/ftp/shadow"
printf 'listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port=%s\nbackground=NO\nanonymous_enable=NO\nlocal_enable=YES\npam_service_name=vsftpd\nseccomp_sandbox=NO\nsecure_chroot_dir=%s\nmax_clients=50\nmax_per_ip=50\n' "$FTP" "$dir/empty" > "$dir/vsftpd.conf"
start unshare -m sh -c "mount --make-rprivate /; mount --bind $dir/ftp/passwd /etc/passwd && mount --bind $dir/ftp/shadow /etc/shadow && exec /usr/sbin/vsftpd $dir/vsftpd.conf"

mkdir "$dir/www"
echo '<html>camera settings</html>' > "$dir/www/index.html"
echo "admin:$HTTP_PASSWORD" > "$dir/users"
cat > "$dir/lighttpd.conf" <<CONF
server.document-root = "$dir/www"
server.port = $HTTP
server.bind = "127.0.0.1"
server.modules = ("mod_auth", "mod_authn_file")
index-file.names = ("index.html")
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/users"
auth.require = ( "/" => ( "method" => "basic", "realm" => "camera", "require" => "valid-user" ) )
CONF
start /usr/sbin/lighttpd -D -f "$dir/lighttpd.conf"
sleep 1

grep -v '^#' "$workspace/data/credentials/mirai.txt" > "$dir/mirai.txt"
cd "$workspace"
cargo build -q -p iotlabel-probe --example probe
echo "== iotlabel-probe (concurrency $CONCURRENCY, brute-force check off)"
start_time=$(date +%s.%N)
target/debug/examples/probe "127.0.0.1:$TELNET,127.0.0.1:$SSH,127.0.0.1:$FTP,127.0.0.1:$HTTP" --concurrency "$CONCURRENCY" --no-brute-force > "$dir/report.json" 2> "$dir/progress.txt"
end_time=$(date +%s.%N)
echo "whole device: $(echo "$end_time - $start_time" | bc) s"
grep -E "CheckFinished|took" "$dir/progress.txt" | sed 's/^/  /'
python3 - "$dir/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for check in report["checks"]:
    if check["check"] == "credentials.default-password":
        print("  coverage:", check.get("coverage"))
for finding in report["findings"]:
    if finding["check"] == "credentials.default-password":
        print("  found:", finding["location"]["service"], finding["evidence"]["user"] + ":" + finding["evidence"]["password"])
PY

# Hydra, like iotlabel, skips the rest of an account's pairs once it reports a login for it:
# -V lists every attempt, so the per-attempt figure divides by the attempts made, not by 61.
echo "== hydra (-t $CONCURRENCY, same 61 pairs)"
for service in "telnet $TELNET" "ssh $SSH" "ftp $FTP" "http-get $HTTP"; do
    set -- $service
    module=$1 port=$2
    extra=""
    [ "$module" = "http-get" ] && extra="/"
    start_time=$(date +%s.%N)
    hydra -V -C "$dir/mirai.txt" -t "$CONCURRENCY" -s "$port" -I 127.0.0.1 $module $extra > "$dir/hydra-$module.txt" 2>&1 || true
    end_time=$(date +%s.%N)
    attempts=$(grep -cE '^\[(RE-)?ATTEMPT\]' "$dir/hydra-$module.txt" || true)
    echo "$module/$port: $(echo "$end_time - $start_time" | bc) s; $attempts attempts; $(grep -c 'login:' "$dir/hydra-$module.txt" || true) logins reported: $(grep 'login:' "$dir/hydra-$module.txt" | sed 's/.*login: \([^ ]*\) *password: \(.*\)/\1:\2/' | tr '\n' ' ')"
done

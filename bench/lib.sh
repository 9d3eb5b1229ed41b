# Shared by the bench scripts: sourced, not run. Expects $app and $work to be set.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "bench: port $1 never opened" >&2; exit 1; }

# start_raddraft HOME QUIET_SECONDS: a daemon on loopback accepting PACS@127.0.0.1; sets rd_port, rd_pid.
start_raddraft() {
  rd_port=$(free_port)
  cat > "$work/raddraft.properties" <<EOF2
raddraft.home=$1
dicom.bind=127.0.0.1
dicom.port=$rd_port
dicom.allowed-peers=PACS@127.0.0.1
http.port=$(free_port)
storage.min-free-mb=64
study.quiet-seconds=$2
EOF2
  "$app/bin/raddraft" run --config "$work/raddraft.properties" > "$work/raddraft.log" 2>&1 &
  rd_pid=$!
  wait_port "$rd_port"
}

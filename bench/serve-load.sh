#!/usr/bin/env bash
# The serving load table of docs/serving.md: throughput and p50/p99 latency of `crx serve` at 1, 8 and 32 concurrent
# clients, without micro-batching (--max-batch 1) and with it (--max-batch 32 --max-wait-ms 5), for fashion-tiny, the
# cifar10 preset (the authors' released weights, imported) and an extracted binary classifier; then one run under
# hostile load (1,000 idle connections, bodies over the limit, non-images, image bombs) with the server's peak RSS.
# Loopback only. Run it on a quiet machine:  bench/serve-load.sh [SECONDS_PER_ROW]  (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fashion="${FASHION_CKPT:-runs/quickstart/coded/best.ckpt}"   # what ./crx quickstart writes
fashion_data="${FASHION_DATA:-/usr/share/datasets/fashion-mnist}"
official=tests/CodedResNeXt.Tests/Interop/Fixtures/official-cifar10

dotnet build src/Crx/Crx.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/CodedResNeXt.Benchmarks -c Release -nologo -v quiet -clp:ErrorsOnly
crx() { dotnet src/Crx/bin/Release/net10.0/crx.dll "$@"; }
load() { dotnet bench/CodedResNeXt.Benchmarks/bin/Release/net10.0/CodedResNeXt.Benchmarks.dll serve-load "$@"; }

# The models and one image each.
cp "$fashion" "$work/fashion-tiny.ckpt"
crx import "$official/official-cifar10.safetensors" --from official --arch cifar10 --out "$work/cifar10.ckpt" > /dev/null
crx extract --checkpoint "$work/fashion-tiny.ckpt" --class 1 --data-dir "$fashion_data" --threshold-samples 2000 --out "$work/trouser.crxb" > /dev/null
cifar_image="$official/images/$(ls "$official/images" | head -1)"
# The first Fashion-MNIST test image as a 28x28 gray PNG.
python3 - "$fashion_data" "$work/fashion.png" <<'PY'
import gzip, struct, sys, zlib
pixels = gzip.open(sys.argv[1] + "/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + pixels[r * 28:(r + 1) * 28] for r in range(28))
open(sys.argv[2], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY

port=5123
serve() { # NAME FILE FLAGS...: starts crx serve in the background, waits for /healthz
  local name="$1" file="$2"; shift 2
  dotnet src/Crx/bin/Release/net10.0/crx.dll serve --model "$name=$file" --urls "http://127.0.0.1:$port" "$@" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && return 0; sleep 0.5; done
  cat "$work/serve.log"; exit 1
}
stop() { kill -TERM "$server"; wait "$server" || true; }

for entry in "fashion-tiny:$work/fashion-tiny.ckpt:$work/fashion.png" "cifar10:$work/cifar10.ckpt:$cifar_image" "trouser:$work/trouser.crxb:$work/fashion.png"; do
  IFS=: read -r name file image <<< "$entry"
  for batching in "--max-batch 1 --max-wait-ms 0" "--max-batch 32 --max-wait-ms 5"; do
    echo "== $name, $batching"
    # shellcheck disable=SC2086
    serve "$name" "$file" $batching --max-concurrent 256
    load --url "http://127.0.0.1:$port" --model "$name" --image "$image" --concurrency 1,8,32 --seconds "$seconds"
    stop
  done
done

echo "== fashion-tiny under hostile load: 1000 idle connections, bodies over the limit, non-images, image bombs"
serve fashion-tiny "$work/fashion-tiny.ckpt" --max-concurrent 256
load --url "http://127.0.0.1:$port" --model fashion-tiny --image "$work/fashion.png" --concurrency 8,32 --seconds "$seconds" \
     --idle 1000 --hostile --server-pid "$server"
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && echo "the server still answers /healthz"
stop

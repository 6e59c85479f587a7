#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the pure parsers that face client input: header values and ranges,
# conditional lists, dates, content types, multipart (whole header blocks and the streaming parser), canonical
# text and the voice API's request JSON. Not part of the test command; its last result is in
# Docs/OPERATIONS.md ("Fuzzing").
#
# Usage: Scripts/fuzz.sh [seconds-per-target=180] [target ...]
# A crash, a hang (-timeout) or an input that takes more than a second stops that target and leaves the
# input in .build-fuzz/findings/<target>/; replay it with `swift run vault-fuzz <target> <file>`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-180}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(range entityTags httpDate ifRange contentType multipartHeaders multipartStream canonicalText voiceRequest directRequestHead)

Scripts/install-system-packages.sh >/dev/null
mkdir -p .build-fuzz
swift build --scratch-path .build-fuzz --product vault-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING > .build-fuzz/build.log 2>&1 \
    || { grep -E "error" .build-fuzz/build.log; exit 1; }
BIN="$(swift build --scratch-path .build-fuzz --show-bin-path)/vault-fuzz"

# Seeds: one well-formed input per grammar, so mutation starts inside the structure (random bytes are rarely JSON).
seed() {  # $1 target, $2 name, $3 content
    mkdir -p ".build-fuzz/corpus/$1"
    [ -e ".build-fuzz/corpus/$1/$2" ] || printf '%b' "$3" > ".build-fuzz/corpus/$1/$2"
}
seed range a 'bytes=0-499, -500, 1000-'
seed entityTags a '"abc", W/"def"'
seed httpDate a 'Sun, 06 Nov 1994 08:49:37 GMT'
seed httpDate b 'Sunday, 06-Nov-94 08:49:37 GMT'
seed ifRange a '"e"'
seed contentType a 'multipart/form-data; boundary="a b"'
seed multipartHeaders a 'Content-Disposition: form-data; name="file"; filename="a b.mp3"\r\nContent-Type: audio/mpeg'
seed multipartStream a '--vvboundary\r\nContent-Disposition: form-data; name="cacheControl"\r\n\r\n3600\r\n--vvboundary\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nbytes\r\n--vvboundary--\r\n'
seed canonicalText a 'A  chapter\r\n\r\nwith e\xcc\x81 and \xe2\x80\xa8 breaks'
seed directRequestHead a 'GET /audio/book-1/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.mp3 HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9, 20-\r\nIf-None-Match: "e"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nOrigin: https://app.example\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'
seed directRequestHead b 'HEAD /audio/b/h.mp3?download=a.mp3 HTTP/1.1\r\nhost:h\r\nIf-Range:\t"e"\t\r\nIf-Match: "a", "b"\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n'
seed voiceRequest a '{"text":"Hello there","voiceId":"21m00Tcm4TlvDq8ikWAM","bookId":"book-1","chapterId":"c1","model":"eleven_multilingual_v2","voiceSettings":{"stability":0.5,"similarity_boost":0.75,"speed":1.0},"format":"mp3_44100_128","languageCode":"en","seed":7,"previousText":"Before.","nextText":"After."}'

status=0
for target in "${TARGETS[@]}"; do
    corpus=.build-fuzz/corpus/$target; findings=.build-fuzz/findings/$target
    mkdir -p "$corpus" "$findings"
    # -timeout: one input taking over a second is a hang or superlinear work (inputs run up to 64 KiB).
    if VV_FUZZ_TARGET=$target "$BIN" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -timeout=1 -max_len=65536 \
        -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 > ".build-fuzz/$target.log" 2>&1; then
        runs=$(grep -a -o -E "stat::number_of_executed_units: *[0-9]+" ".build-fuzz/$target.log" | grep -o -E "[0-9]+$" || echo "?")
        cov=$(grep -a -o -E "cov: [0-9]+" ".build-fuzz/$target.log" | tail -1 | grep -o -E "[0-9]+" || echo "?")
        printf "%-18s ok    %10s runs in %ss, coverage %s edges, corpus %s inputs\n" "$target" "$runs" "$SECONDS_PER_TARGET" "$cov" "$(ls "$corpus" | wc -l)"
    else
        printf "%-18s FAILED (see .build-fuzz/%s.log and %s)\n" "$target" "$target" "$findings"
        status=1
    fi
done
exit $status

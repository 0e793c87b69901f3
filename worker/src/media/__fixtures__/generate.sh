#!/bin/sh
# Regenerates the ffprobe fixtures beside this script. Run once by hand (ffmpeg 5.1, Debian 12):
# the media comes from lavfi and is thrown away; only ffprobe's JSON and stderr are kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
probe() { ffprobe -v error -print_format json -show_format -show_streams "$1" > "$here/$2.json"; }

# 4K H.264 + AAC stereo, 30 fps.
ff -f lavfi -i testsrc2=size=3840x2160:rate=30:duration=1 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=1 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 128k -ac 2 -shortest 4k-h264-aac.mp4
probe 4k-h264-aac.mp4 4k-h264-aac

# 1080x1920 portrait at 29.97 fps, 5.1 AAC audio.
ff -f lavfi -i testsrc2=size=1080x1920:rate=30000/1001:duration=1 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=1 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -ac 6 -shortest portrait-1080x1920.mp4
probe portrait-1080x1920.mp4 portrait-1080x1920

# A phone clip stored landscape with a 90° display rotation (ffmpeg 5.1 has no -display_rotation;
# the mp4 muxer turns the rotate tag into a display matrix).
ff -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=1 -f lavfi -i sine=frequency=440:sample_rate=44100:duration=1 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest plain.mp4
ff -i plain.mp4 -c copy -metadata:s:v rotate=90 rotated-phone.mp4
probe rotated-phone.mp4 rotated-phone

# HEVC 10-bit HLG, as phones record HDR.
ff -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=1 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=1 \
  -c:v libx265 -preset ultrafast -x265-params log-level=error -pix_fmt yuv420p10le \
  -color_trc arib-std-b67 -color_primaries bt2020 -colorspace bt2020nc -tag:v hvc1 -c:a aac -shortest hevc-10bit-hlg.mp4
probe hevc-10bit-hlg.mp4 hevc-10bit-hlg

# HEVC 10-bit PQ (HDR10), no audio, in a QuickTime file.
ff -f lavfi -i testsrc2=size=1280x720:rate=25:duration=1 \
  -c:v libx265 -preset ultrafast -x265-params log-level=error -pix_fmt yuv420p10le \
  -color_trc smpte2084 -color_primaries bt2020 -colorspace bt2020nc -tag:v hvc1 hevc-10bit-pq.mov
probe hevc-10bit-pq.mov hevc-10bit-pq

# An odd size: 1918x1078.
ff -f lavfi -i testsrc2=size=1918x1078:rate=24:duration=1 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=1 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest odd-1918x1078.mp4
probe odd-1918x1078.mp4 odd-1918x1078

# No audio.
ff -f lavfi -i testsrc2=size=1280x720:rate=30:duration=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p no-audio.mp4
probe no-audio.mp4 no-audio

# Audio only.
ff -f lavfi -i sine=frequency=440:sample_rate=44100:duration=2 -c:a aac -b:a 96k audio-only.m4a
probe audio-only.m4a audio-only

# Bad media: ffprobe's stderr is what a user is told, in words.
stderr() { ffprobe -v error -print_format json -show_format -show_streams "$1" 2> "$here/$2.stderr.txt" > /dev/null || true; }
printf 'this is a shopping list, not a video\n' > not-a-video.mp4
stderr not-a-video.mp4 not-a-video
head -c 20000 4k-h264-aac.mp4 > truncated.mp4
stderr truncated.mp4 truncated
: > empty.mp4
stderr empty.mp4 empty

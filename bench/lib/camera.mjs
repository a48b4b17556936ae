// Fake cameras and pullers for the benches.
//
// The camera is the tests' GStreamer RTSP server (tests/support/fake-rtsp-camera.py:
// 720p30 H.264 baseline, keyframe every 30 frames = 1 s GOP, shared media) with one
// change: the test pattern (a ball on black) is so easy to encode that x264's
// "bitrate=2000" comes out near 200 kbit/s, so here x264 pads to a constant
// 2 Mbit/s (HRD CBR with filler NAL units), which is what a real camera's
// byte and packet rate looks like to an ingest that copies.
import { endTree, freePort, spawnTracked, until } from './run.mjs';

// stamp: instead of the ball, a flat gray picture whose top 24 rows carry the wall
// clock (ms, low 32 bits) as a 32-block barcode, written when the frame is made:
// the picture on screen tells how old it is (glass-to-glass latency).
const PYTHON = String.raw`
import sys, time, gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib
port, kbps, stamp = sys.argv[1], sys.argv[2], sys.argv[3] == "stamp"
W, H, FPS, BITS, BW, ROWS = 1280, 720, 30, 32, 40, 24
Gst.init(None)
source = ("appsrc name=src is-live=true format=time caps=video/x-raw,format=I420,width=1280,height=720,framerate=30/1" if stamp
          else "videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( " + source + " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=" + kbps +
    " option-string=nal-hrd=cbr:filler=1 ! video/x-h264,profile=baseline ! rtph264pay config-interval=1 name=pay0 pt=96 )")
factory.set_shared(True)
sources, clock = [], {"start": time.monotonic(), "n": 0}
gray = bytes([128]) * (W * H * 3 // 2 - W * ROWS)
WHITE, BLACK = bytes([235]), bytes([16])
def push(n):
    ms = int(time.time() * 1000) & 0xffffffff
    row = b"".join((WHITE if (ms >> (BITS - 1 - i)) & 1 else BLACK) * BW for i in range(BITS))
    for src in sources:  # timestamped with the pipeline's running time: no wait in the sink
        now = src.get_current_running_time()
        if now == Gst.CLOCK_TIME_NONE:
            continue
        src.last = now = max(now, getattr(src, "last", -Gst.MSECOND) + Gst.MSECOND)
        buf = Gst.Buffer.new_wrapped(row * ROWS + gray)
        buf.pts, buf.duration = now, Gst.SECOND // FPS
        src.emit("push-buffer", buf)
def tick():  # frame n is due at start + n / FPS
    while time.monotonic() >= clock["start"] + clock["n"] / FPS:
        push(clock["n"])
        clock["n"] += 1
    return True
def configure(_factory, media):
    src = media.get_element().get_by_name("src")
    sources.append(src)
    media.connect("unprepared", lambda *_: sources.remove(src))
if stamp:
    factory.connect("media-configure", configure)
    GLib.timeout_add(2, tick)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
server.get_mount_points().add_factory("/test", factory)
if server.attach(None) == 0:
    print("cannot listen on port " + port, flush=True)
    sys.exit(1)
print("ready", flush=True)
GLib.MainLoop().run()
`;

/** One fake RTSP camera (720p30, 1 s GOP, constant kbps; stamp: the clock barcode) on a free port; ended at cleanup or by stop(). */
export async function startFakeCamera({ kbps = 2000, stamp = false } = {}) {
	const port = await freePort();
	const child = spawnTracked('/usr/bin/python3', ['-c', PYTHON, String(port), String(kbps), stamp ? 'stamp' : 'ball']);
	await until(async () => {
		if (child.exitCode !== null) throw new Error(`fake camera exited ${child.exitCode}`);
		return child.log.split('\n').includes('ready');
	}, 10_000, 'the fake RTSP camera').catch((e) => {
		throw new Error(`${e.message}\n${child.log}`);
	});
	return { url: `rtsp://127.0.0.1:${port}/test`, port, pid: child.pid, stop: () => endTree(child, 1000) };
}

/** `ffmpeg -rtsp_transport tcp -i <url> -c copy -f null -`: pulls and demuxes, nothing else. */
export function startBarePuller(url) {
	const child = spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'null', '-']);
	return { pid: child.pid, child, stop: () => endTree(child, 2000) };
}

#!/usr/bin/python3
# A fake IP camera: GStreamer's RTSP server with a live test pattern (H.264,
# optionally G.711 audio) at rtsp://127.0.0.1:<port>/test. Prints one line per
# client connection ("client-connected"), so tests can count upstream clients.
import sys
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib  # noqa: E402

port = sys.argv[1] if len(sys.argv) > 1 else "8554"
audio = len(sys.argv) > 2 and sys.argv[2] == "audio"

Gst.init(None)
video = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=2000 "
    "! video/x-h264,profile=baseline ! rtph264pay config-interval=1 name=pay0 pt=96"
)
sound = " audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8"
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch("( " + video + (sound if audio else "") + " )")
factory.set_shared(True)

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
server.get_mount_points().add_factory("/test", factory)


def on_client(_server, _client):
    print("client-connected", flush=True)


server.connect("client-connected", on_client)
if server.attach(None) == 0:
    print("cannot listen on port " + port, flush=True)
    sys.exit(1)
print("ready", flush=True)
GLib.MainLoop().run()

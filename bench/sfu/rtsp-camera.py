#!/usr/bin/python3
# The bench's RTSP camera: GStreamer's RTSP server at rtsp://127.0.0.1:<port>/test
# re-serving H.264 RTP that arrives on UDP 127.0.0.1:<rtp port> (sent by the
# bench's ffmpeg testsrc2 encoder: 720p30, 2 Mbit/s, GOP 30), so Vantage pulls
# the same stream, at the same rate, as the bare-Janus side gets.
# (tests/support/fake-rtsp-camera.py encodes a mostly black "ball" pattern:
# x264 reaches only ~0.4 Mbit/s, ~35 RTP packets/s there.)
# Prints "ready" once listening.
import sys
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib  # noqa: E402

port = sys.argv[1]
rtp_port = sys.argv[2]

Gst.init(None)
launch = (
    f'( udpsrc address=127.0.0.1 port={rtp_port} buffer-size=2097152 '
    'caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96" '
    '! rtph264depay ! h264parse config-interval=-1 ! rtph264pay config-interval=-1 name=pay0 pt=96 )'
)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(launch)
factory.set_shared(True)

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
server.get_mount_points().add_factory("/test", factory)
if server.attach(None) == 0:
    print("cannot listen on port " + port, flush=True)
    sys.exit(1)
print("ready", flush=True)
GLib.MainLoop().run()

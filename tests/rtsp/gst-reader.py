#!/usr/bin/python3
# Reads an RTSP URL with GStreamer's rtspsrc for a few seconds and prints, as
# JSON, the RTP buffers received per media type ("video"/"audio") after
# depayloading, or the error. Usage: gst-reader.py URL tcp|udp SECONDS [USER PASSWORD]
import json
import sys
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib  # noqa: E402

url, proto, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
Gst.init(None)
pipeline = Gst.Pipeline()
src = Gst.ElementFactory.make("rtspsrc")
src.set_property("location", url)
src.set_property("protocols", "tcp" if proto == "tcp" else "udp")
src.set_property("latency", 0)
if len(sys.argv) > 5:
    src.set_property("user-id", sys.argv[4])
    src.set_property("user-pw", sys.argv[5])
pipeline.add(src)
counts = {}
caps_seen = {}
DEPAY = {"H264": "rtph264depay", "H265": "rtph265depay", "MPEG4-GENERIC": "rtpmp4gdepay", "OPUS": "rtpopusdepay"}


def on_pad(_src, pad):
    s = pad.get_current_caps().get_structure(0)
    media, enc = s.get_string("media"), s.get_string("encoding-name")
    caps_seen[media] = enc
    depay = Gst.ElementFactory.make(DEPAY.get(enc, "fakesink"))
    sink = Gst.ElementFactory.make("fakesink")
    sink.set_property("sync", False)
    sink.set_property("signal-handoffs", True)
    sink.connect("handoff", lambda *_: counts.__setitem__(media, counts.get(media, 0) + 1))
    pipeline.add(depay)
    if depay.get_factory().get_name() != "fakesink":
        pipeline.add(sink)
        depay.link(sink)
        sink.sync_state_with_parent()
    depay.sync_state_with_parent()
    pad.link(depay.get_static_pad("sink"))


src.connect("pad-added", on_pad)
loop = GLib.MainLoop()
error = []


def on_message(_bus, msg):
    if msg.type == Gst.MessageType.ERROR:
        error.append(msg.parse_error()[0].message)
        loop.quit()


bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect("message", on_message)
pipeline.set_state(Gst.State.PLAYING)
GLib.timeout_add(int(seconds * 1000), loop.quit)
loop.run()
pipeline.set_state(Gst.State.NULL)
print(json.dumps({"counts": counts, "encodings": caps_seen, "error": error[0] if error else None}), flush=True)

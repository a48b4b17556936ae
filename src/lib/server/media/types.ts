// The shared vocabulary of the media path: what ingest produces, what the hub
// keeps, and what every output (SFU, MSE, HLS, MP4, frame, recorder) reads.
// Pure types: no imports from the app.

export type TrackKind = 'video' | 'audio';

export interface TrackInfo {
	/** Track id in the fMP4 (tkhd/tfhd track_ID). */
	id: number;
	kind: TrackKind;
	/** Codec family. */
	codec: 'h264' | 'h265' | 'aac' | 'opus' | 'pcma' | 'pcmu' | 'other';
	/** RFC 6381 codec string for MSE / HLS, e.g. "avc1.64001f", "hvc1.1.6.L93.B0", "mp4a.40.2", "opus". */
	codecString: string;
	/** Media timescale (mdhd), ticks per second. */
	timescale: number;
	width?: number;
	height?: number;
	sampleRate?: number;
	channels?: number;
	/** The decoder configuration record: avcC / hvcC payload (video), AudioSpecificConfig (AAC), dOps (Opus). */
	config?: Buffer;
}

export interface Sample {
	trackId: number;
	/** Decode time in the track's timescale. */
	dts: number;
	/** Composition offset (pts - dts) in the track's timescale. */
	ctsOffset: number;
	/** Duration in the track's timescale. */
	duration: number;
	/** A sync sample (IDR / keyframe); always true for audio. */
	keyframe: boolean;
	/** Sample bytes as stored in the mdat: length-prefixed NAL units (4-byte lengths) for H.264/H.265. */
	data: Buffer;
}

/** One moof+mdat pair as produced by ingest, with its samples parsed. */
export interface Fragment {
	/** The moof+mdat bytes exactly as received: appendable to MSE / HLS / fMP4 outputs after the init segment. */
	data: Buffer;
	samples: Sample[];
	/** Its first video sample is a keyframe: a consumer may start here. */
	keyframe: boolean;
}

/** The init segment (ftyp+moov) and the tracks it declares. */
export interface InitSegment {
	data: Buffer;
	tracks: TrackInfo[];
}

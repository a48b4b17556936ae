// FLV: AMF0, tag bodies, a byte-stream reader, a muxer for the hub's samples
// and the tag-to-track assembly publishers need. Pure protocol code: no app imports.
export * from './amf0';
export * from './tags';
export { FlvReader, readFlv, type FlvFileHeader, type FlvTag, type FlvReadEvent } from './reader';
export { FlvMuxer } from './muxer';
export { FlvIngest, type FlvTracks, type FlvIngestSink, type FlvIngestOptions } from './ingest';

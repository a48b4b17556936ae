// fMP4 (ISO BMFF fragmented MP4): split ingest output, parse inits and
// fragments, write fragments. Pure protocol code: no app imports.
export { Fmp4Splitter, type SplitterEvent, type SplitterOptions } from './splitter';
export { parseInit, parseTrackDefaults, initForTracks, mimeType, hevcCodecString, AAC_SAMPLE_RATES, type TrackDefaults } from './init';
export { writeInit } from './init-writer';
export {
	parseFragment,
	writeFragment,
	groupRuns,
	startsWithKeyframe,
	type FragmentTrack,
	type ParseFragmentOptions,
	type TrackRun
} from './fragment';
export * as boxes from './boxes';

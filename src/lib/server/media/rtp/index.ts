export * from './packet';
export * from './h264-packetizer';
export * from './h265-packetizer';
export * from './opus-packetizer';

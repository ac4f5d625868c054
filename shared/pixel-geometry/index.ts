export * from './barrel-geometry';
export * from './axis-ticks';
export * from './map-layout';

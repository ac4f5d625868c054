export * from './ndarray';
export * from './template-match';
export * from './rebin';
export * from './model';
export * from './stages';
export * from './filter';
export * from './score';
export * from './run-chunk';

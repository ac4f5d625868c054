/** Typed arrays the pipeline accepts for numeric data. */
export type NumericArray =
  Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** numpy-like dtype names the pipeline understands (64-bit integers are read into Float64Array). */
export type DType =
  'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float16' | 'float32' | 'float64';

/** A C-ordered n-dimensional array. */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: NumericArray;
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

import { ApiError } from '../../shared/api/errors';

/** Bad input data or model files: the message names the file, the key and expected vs actual. */
export function inputError(message: string, details?: unknown): ApiError {
  return new ApiError('PIPELINE_INPUT_INVALID', message, details, 'PipelineInputError');
}

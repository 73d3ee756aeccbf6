/**
 * Codes of the CLI's own errors (`InputError`): `ERR_CLI_INPUT_TOO_LARGE` an input file larger than the command
 * reads (it stops reading at the limit, so a huge file or an endless stream never exhausts memory);
 * `ERR_CLI_INPUT_UNUSABLE` any other input the command cannot use. Every other code the CLI prints belongs to
 * the package whose error it reports.
 */
export const CLI_ERROR_CODES = Object.freeze(['ERR_CLI_INPUT_UNUSABLE', 'ERR_CLI_INPUT_TOO_LARGE'] as const);

/** A code of {@link CLI_ERROR_CODES}. */
export type InputErrorCode = (typeof CLI_ERROR_CODES)[number];

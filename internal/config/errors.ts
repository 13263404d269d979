import { ErrorCode, GatewayError } from '../errors/index.js';

/**
 * The configuration is invalid. `problems` holds one line per problem, each naming the variable,
 * its value (secrets shown as <redacted>) and what was expected; the message lists them all so
 * an operator fixes everything in one go instead of one restart per mistake.
 */
export class ConfigError extends GatewayError {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    const plural = problems.length === 1 ? 'problem' : 'problems';
    const lines = problems.map((p) => `  - ${p}`).join('\n');
    super(ErrorCode.VALIDATION, `invalid configuration (${problems.length} ${plural}):\n${lines}`, options);
    this.problems = problems;
  }
}

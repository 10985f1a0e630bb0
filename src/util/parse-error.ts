/** The only error a parser of outside text may throw: callers turn it into an `unknown` finding. */
export class ParseError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'ParseError';
  }
}

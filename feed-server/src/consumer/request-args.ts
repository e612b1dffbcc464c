/** A client request split into its payload and its ack callback, wherever the client put them. */
export interface RequestArgs {
  payload: unknown;
  ack: ((reply: unknown) => void) | undefined;
}

/**
 * Socket.IO passes the ack as the last argument; a client may send no payload
 * or extra arguments before it. The payload is the first argument unless
 * that is the ack itself, so every request with an ack gets an answer.
 */
export function splitRequestArgs(args: readonly unknown[]): RequestArgs {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as (reply: unknown) => void) : undefined;
  const first = args[0];
  return { payload: first === ack ? undefined : first, ack };
}

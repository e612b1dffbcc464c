import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type } from '@sinclair/typebox';
import { ErrorCode, ErrorReplySchema, FeedStatusSchema, errorReply, type ControlReply, type FeedControl } from '@tickfeed/protocol';

const replyCheck = TypeCompiler.Compile(
  Type.Union([Type.Object({ ok: Type.Literal(true), status: FeedStatusSchema }), ErrorReplySchema]),
);

/** A publisher's answer is untrusted input too: anything but a contract reply becomes a coded error. */
function checked(reply: unknown): ControlReply {
  if (replyCheck.Check(reply)) return reply as ControlReply;
  return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'the publisher answered the control command with an invalid reply');
}

export type ControlSender = (command: FeedControl) => Promise<ControlReply>;

/**
 * Routes transport commands (POST /api/feed/control) to the publisher that
 * can take them: the feed's owner, when its status says it is controllable
 * (IngestService decides who registers).
 */
export class FeedController {
  private current: { owner: object; send: ControlSender } | undefined;
  /** Asks other instances when no publisher here can take the command (set in cluster mode). */
  remote: ControlSender | undefined;

  register(owner: object, send: ControlSender): void {
    this.current = { owner, send };
  }

  unregister(owner: object): void {
    if (this.current?.owner === owner) this.current = undefined;
  }

  /** Forgets the local publisher, whoever it is (the feed moved to another publisher). */
  unregisterAll(): void {
    this.current = undefined;
  }

  get hasLocal(): boolean {
    return this.current !== undefined;
  }

  /** Sends to the local publisher only (what another instance asks of this one). */
  async sendLocal(command: FeedControl): Promise<ControlReply | null> {
    return this.current === undefined ? null : checked(await this.current.send(command));
  }

  async send(command: FeedControl): Promise<ControlReply> {
    if (this.current !== undefined) return checked(await this.current.send(command));
    if (this.remote !== undefined) return checked(await this.remote(command));
    return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'no connected publisher accepts control commands');
  }
}

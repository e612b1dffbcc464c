import { ErrorCode, errorReply, type ControlReply, type FeedControl } from '@tickfeed/protocol';

export type ControlSender = (command: FeedControl) => Promise<ControlReply>;

/**
 * Routes transport commands (POST /api/feed/control) to the publisher that
 * can take them: the last one that announced a controllable feed.
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

  get hasLocal(): boolean {
    return this.current !== undefined;
  }

  /** Sends to the local publisher only (what another instance asks of this one). */
  async sendLocal(command: FeedControl): Promise<ControlReply | null> {
    return this.current === undefined ? null : this.current.send(command);
  }

  async send(command: FeedControl): Promise<ControlReply> {
    if (this.current !== undefined) return this.current.send(command);
    if (this.remote !== undefined) return this.remote(command);
    return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'no connected publisher accepts control commands');
  }
}

import { lazy, Show, Suspense } from 'solid-js';
import { describeConnection } from '@tickfeed/client';
import type { SessionKind } from '@tickfeed/protocol';
import type { FeedService } from '../feed/feed-service.js';
import { closedMarketsText } from '../lib/market-hours.js';
import { formatInZone } from '../lib/time-zone.js';

/** Only replays need the controls: their code loads when a replay shows, so a live page ships none of it. */
const ReplayControls = lazy(() => import('./replay-controls.js'));

export interface StatusBarProps {
  service: FeedService;
  zone: string;
  /** The page's access token, sent to control a replay; null: no controls. */
  controlToken: () => string | null;
  /** The charted symbol's session: the replay timeline spans it. */
  sessionKind: SessionKind;
}

/** Connection state, latency, throughput, staleness and the feed's mode (LIVE / REPLAY). */
export function StatusBar(props: StatusBarProps) {
  const state = () => props.service.connection();
  /** The feed is down: figures from before would mislead, so they give way to the state. */
  const down = () => state().kind === 'reconnecting' || state().kind === 'offline';
  const stats = () => props.service.stats();
  const feed = () => props.service.feedStatus();
  const replayClock = () => {
    const f = feed();
    if (f === null || f.status.clock === null) return null;
    const { status, receivedAt } = f;
    const speed = typeof status.speed === 'number' ? status.speed : 0;
    // Between status messages the replay clock advances at the replay speed.
    const elapsed = status.state === 'playing' ? Math.max(0, props.service.clock() - receivedAt) * speed : 0;
    return formatInZone((status.clock ?? 0) + elapsed, props.zone, 'full');
  };
  /** The live feed's closed markets (S71): their symbols do not trade until the open. */
  const closedText = () => (feed()?.status.mode === 'live' ? closedMarketsText(feed()?.status.closed) : '');
  const staleText = () => {
    const entries = Object.entries(stats().stale).sort((a, b) => b[1] - a[1]);
    if (entries.length === 0) return '';
    const shown = entries.slice(0, 3).map(([symbol, seconds]) => `${symbol}: no update for ${seconds} s`);
    return entries.length > 3 ? `${shown.join(' · ')} · +${entries.length - 3} more` : shown.join(' · ');
  };

  return (
    <footer class="statusbar" role="status">
      <span class="conn" data-connection={state().kind} data-testid="connection">
        <span class="dot" />
        {describeConnection(state(), props.service.clock())}
        <Show when={state().kind === 'reconnecting' || state().kind === 'offline'}>
          <button class="link" onClick={() => (state().kind === 'offline' ? props.service.goOnline() : props.service.reconnectNow())}>
            retry now
          </button>
        </Show>
      </span>
      <Show when={down()}>
        <span class="badge down" data-testid="down-badge">
          DISCONNECTED
        </span>
      </Show>
      <Show
        when={feed()?.status.mode === 'replay'}
        fallback={
          <Show when={feed() !== null && !down()}>
            <span class="badge live" data-testid="live">
              LIVE
            </span>
            <Show when={closedText() !== ''}>
              <span class="market-closed" data-testid="market-closed" title="These markets are outside their trading hours: their symbols do not trade until the open">
                {closedText()}
              </span>
            </Show>
          </Show>
        }
      >
        <span class="badge replay" data-testid="replay">
          REPLAY {feed()!.status.speed === 'max' ? 'max' : `${feed()!.status.speed}×`}
          {feed()!.status.state !== 'playing' ? ` · ${feed()!.status.state.toUpperCase()}` : ''}
        </span>
        <Show when={replayClock()}>
          <span>
            replay clock <b>{replayClock()}</b>
          </span>
        </Show>
        <Show when={feed()!.status.controllable && props.controlToken() !== null}>
          <Suspense>
            <ReplayControls service={props.service} token={props.controlToken} sessionKind={props.sessionKind} zone={props.zone} />
          </Suspense>
        </Show>
      </Show>
      <span
        classList={{ dimmed: down() }}
        title={
          stats().latencyBasis === 'replay'
            ? 'Median age of the ticks on the replay clock, in real milliseconds (frames carry no send time)'
            : 'Median delay from the tick time to its arrival here'
        }
      >
        <span data-testid="latency-label">{stats().latencyBasis === 'replay' ? 'age (replay clock)' : 'latency'}</span>{' '}
        <b data-testid="latency">{down() || stats().latencyMs === null ? '–' : `${Math.round(stats().latencyMs!)} ms`}</b>
      </span>
      <span classList={{ dimmed: down() }}>
        ticks/s <b data-testid="rate">{down() ? '–' : stats().ticksPerSec}</b>
      </span>
      <span class="stale-list" data-testid="stale">
        {down() ? '' : staleText()}
      </span>
      <span class="spacer" />
      <span>
        <b>{formatInZone(props.service.clock(), props.zone, 'seconds')}</b> {formatInZone(props.service.clock(), props.zone, 'zone')}
      </span>
    </footer>
  );
}

import { createSignal, For, Show } from 'solid-js';
import type { FeedControl, SessionKind } from '@tickfeed/protocol';
import type { FeedService } from '../feed/feed-service.js';
import {
  controlRequest,
  fractionOf,
  interpretControlReply,
  parseSeekTime,
  REPLAY_SPEEDS,
  replayClockAt,
  showReplayControls,
  speedLabel,
  timeAtFraction,
  timelineRange,
  type ControlAccess,
} from '../lib/replay-control.js';
import { formatInZone } from '../lib/time-zone.js';

export interface ReplayControlsProps {
  service: FeedService;
  /** The bearer token for POST /api/feed/control (the page's access token); null: none, no controls. */
  token: () => string | null;
  /** The charted symbol's session kind: the timeline spans its session on the replay day. */
  sessionKind: SessionKind;
  zone: string;
  baseUrl?: string;
}

const SLIDER_STEPS = 1_000;

/** Play/pause, speed and a session timeline to seek a controllable replay (D100–D102). */
export default function ReplayControls(props: ReplayControlsProps) {
  const [access, setAccess] = createSignal<ControlAccess>('unknown');
  const [message, setMessage] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  /** While the thumb is dragged: the time under it, shown instead of the clock. */
  const [dragging, setDragging] = createSignal<number | null>(null);
  const [typed, setTyped] = createSignal('');

  const feed = () => props.service.feedStatus();
  const visible = () => showReplayControls(feed()?.status, props.token() !== null, access());
  const clock = () => {
    const f = feed();
    return f === null ? null : replayClockAt(f.status, f.receivedAt, props.service.clock());
  };
  const range = () => {
    const c = clock();
    return c === null ? null : timelineRange(c, props.sessionKind);
  };
  const sliderValue = () => {
    const r = range();
    const at = dragging() ?? clock();
    return r === null || at === null ? 0 : Math.round(fractionOf(r, at) * SLIDER_STEPS);
  };

  async function send(command: FeedControl): Promise<void> {
    const token = props.token();
    if (token === null || busy()) return;
    setBusy(true);
    try {
      const { url, init } = controlRequest(props.baseUrl ?? '', token, command);
      const res = await fetch(url, init);
      const body: unknown = await res.json().catch(() => null);
      const reply = interpretControlReply(res.status, body);
      if (reply.kind === 'denied') {
        // Said once: the controls go away and do not come back for this page.
        setAccess('denied');
        setMessage(reply.message);
      } else if (reply.kind === 'error') {
        setMessage(reply.message);
      } else {
        setAccess('allowed');
        setMessage('');
      }
    } catch {
      setMessage('Replay control failed: the server did not answer');
    } finally {
      setBusy(false);
    }
  }

  const seekTo = (to: number) => void send({ action: 'seek', to });
  const playing = () => feed()?.status.state === 'playing';

  return (
    <>
      <Show when={visible()}>
        <span class="replay-controls" data-testid="replay-controls">
          <button
            type="button"
            class="replay-btn"
            data-testid="replay-play"
            disabled={busy()}
            aria-label={playing() ? 'Pause the replay' : 'Play the replay'}
            onClick={() => void send({ action: playing() ? 'pause' : 'resume' })}
          >
            {playing() ? '❚❚' : '▶'}
          </button>
          <select
            class="replay-speed"
            data-testid="replay-speed"
            aria-label="Replay speed"
            disabled={busy()}
            value={String(feed()?.status.speed ?? 1)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              void send({ action: 'speed', speed: v === 'max' ? 'max' : Number(v) });
            }}
          >
            <Show when={!REPLAY_SPEEDS.includes(feed()?.status.speed ?? 1)}>
              <option value={String(feed()?.status.speed)}>{speedLabel(feed()?.status.speed ?? 1)}</option>
            </Show>
            <For each={REPLAY_SPEEDS}>{(s) => <option value={String(s)}>{speedLabel(s)}</option>}</For>
          </select>
          <Show when={range()}>
            {(r) => (
              <>
                <span class="replay-edge">{formatInZone(r().from, props.zone, 'time')}</span>
                <input
                  type="range"
                  class="replay-timeline"
                  data-testid="replay-timeline"
                  min="0"
                  max={SLIDER_STEPS}
                  step="1"
                  value={sliderValue()}
                  aria-label="Replay position in the session"
                  aria-valuetext={formatInZone(dragging() ?? clock() ?? r().from, props.zone, 'seconds')}
                  onInput={(e) => setDragging(timeAtFraction(r(), Number(e.currentTarget.value) / SLIDER_STEPS))}
                  onChange={(e) => {
                    const to = timeAtFraction(r(), Number(e.currentTarget.value) / SLIDER_STEPS);
                    setDragging(null);
                    seekTo(to);
                  }}
                />
                <span class="replay-edge">{formatInZone(r().to, props.zone, 'time')}</span>
                <Show when={dragging() !== null}>
                  <b data-testid="replay-drag-time">{formatInZone(dragging()!, props.zone, 'seconds')}</b>
                </Show>
                <form
                  class="replay-seek"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const to = parseSeekTime(typed(), r(), props.zone);
                    if (to === null) {
                      setMessage(`Seek: type a time (hh:mm or hh:mm:ss) between ${formatInZone(r().from, props.zone, 'time')} and ${formatInZone(r().to, props.zone, 'time')}`);
                      return;
                    }
                    setTyped('');
                    seekTo(to);
                  }}
                >
                  <input
                    class="replay-seek-input"
                    data-testid="replay-seek-input"
                    aria-label="Seek the replay to a time (hh:mm)"
                    placeholder="hh:mm"
                    value={typed()}
                    onInput={(e) => setTyped(e.currentTarget.value)}
                  />
                </form>
              </>
            )}
          </Show>
        </span>
      </Show>
      <Show when={message() !== ''}>
        <span class="replay-message" data-testid="replay-message">
          {message()}
        </span>
      </Show>
    </>
  );
}


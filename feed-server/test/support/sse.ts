import { request as httpRequest } from 'node:http';
import type { Tick } from '@tickfeed/protocol';

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export interface SseRead {
  status: number;
  events: SseEvent[];
  /** Everything the server sent, as text (an error status's JSON body). */
  body: string;
}

/**
 * Reads a Server-Sent Events response until `until` holds (then closes it) or
 * the server ends it (an error status, a closed stream); `onEvent` sees each
 * event as it is parsed. An error other than the reset of our own close rejects.
 */
export function readSse(
  url: string,
  headers: Record<string, string>,
  until: (events: SseEvent[]) => boolean,
  onEvent: (event: SseEvent) => void = () => undefined,
): Promise<SseRead> {
  return new Promise((resolve, reject) => {
    let closedHere = false;
    const req = httpRequest(url, { headers }, (res) => {
      let buffer = '';
      let body = '';
      const events: SseEvent[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.data === '') continue;
          events.push(event);
          onEvent(event);
        }
        if (res.statusCode === 200 && until(events)) {
          closedHere = true;
          req.destroy();
          resolve({ status: 200, events, body });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, events, body }));
      res.on('error', (error) => {
        if (!closedHere) reject(error);
      });
    });
    req.on('error', (error) => {
      if (!closedHere) reject(error);
    });
    req.end();
  });
}

function parseEvent(block: string): SseEvent {
  const event: SseEvent = { event: 'message', data: '', id: undefined };
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event.event = line.slice(7);
    else if (line.startsWith('data: ')) event.data += line.slice(6);
    else if (line.startsWith('id: ')) event.id = line.slice(4);
  }
  return event;
}

/** The ticks of `ticks` events, in order. */
export function sseTicks(events: readonly SseEvent[]): Tick[] {
  return events.filter((e) => e.event === 'ticks').flatMap((e) => JSON.parse(e.data) as Tick[]);
}

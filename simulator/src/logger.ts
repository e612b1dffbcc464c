/**
 * The logging the simulator needs: a subset of pino's API (fields first, then
 * the message), so the launcher can pass its pino logger; the standalone CLI
 * uses createStderrLogger.
 */
export interface Logger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** One line per entry on stderr: `HH:MM:SS.mmm LEVEL message {fields}`; stdout stays free for data. */
export function createStderrLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = (name: Exclude<LogLevel, 'silent'>) => (fields: object, msg: string) => {
    if (RANK[name] < RANK[level]) return;
    const time = new Date().toISOString().slice(11, 23);
    const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    write(`${time} ${name.toUpperCase().padEnd(5)} ${msg}${extra}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

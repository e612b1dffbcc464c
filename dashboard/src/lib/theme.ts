export type ThemeChoice = 'system' | 'dark' | 'light';
export type Theme = 'dark' | 'light';

/** 'system' follows the browser's prefers-color-scheme; an explicit choice wins. */
export function resolveTheme(choice: ThemeChoice, systemPrefersDark: boolean): Theme {
  return choice === 'system' ? (systemPrefersDark ? 'dark' : 'light') : choice;
}

/** The chart's colours (the canvas cannot read CSS variables); the page's are in styles.css. */
export interface ChartPalette {
  readonly background: string;
  readonly text: string;
  readonly grid: string;
  readonly border: string;
  readonly up: string;
  readonly down: string;
  readonly upVolume: string;
  readonly downVolume: string;
  readonly accent: string;
  readonly areaTop: string;
  readonly areaBottom: string;
}

export const PALETTES: Record<Theme, ChartPalette> = {
  dark: {
    background: '#11151d',
    text: '#8b94a5',
    grid: '#171c26',
    border: '#1d2330',
    up: '#26a69a',
    down: '#ef5350',
    upVolume: 'rgba(38,166,154,0.45)',
    downVolume: 'rgba(239,83,80,0.45)',
    accent: '#4c8dff',
    areaTop: 'rgba(76,141,255,0.35)',
    areaBottom: 'rgba(76,141,255,0.02)',
  },
  light: {
    background: '#ffffff',
    text: '#4a5261',
    grid: '#eef0f4',
    border: '#d5dae3',
    up: '#0b7f73',
    down: '#cf2f2c',
    upVolume: 'rgba(11,127,115,0.35)',
    downVolume: 'rgba(207,47,44,0.35)',
    accent: '#2f6fd6',
    areaTop: 'rgba(47,111,214,0.3)',
    areaBottom: 'rgba(47,111,214,0.02)',
  },
};

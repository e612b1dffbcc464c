import type { UniverseFile } from './universe.js';

/**
 * The universe `npm start` and `npm run simulate` use when no --universe is
 * given: 36 symbols across US equities and ETFs, crypto and FX. Prices are
 * round figures near recent levels; vol is annualized over 365 days of 24 h;
 * spread is the typical quoted spread in price units; activity is mean trades
 * per second (sum ≈ 81/s). `npm run simulate -- --print-universe` prints it
 * as a JSON universe file to start your own from.
 */
export const DEFAULT_UNIVERSE: UniverseFile = {
  symbols: [
    eq('AAPL', 'Apple Inc.', 190, 0.26, 0.01, 4, 0.65),
    eq('MSFT', 'Microsoft Corp.', 420, 0.24, 0.02, 3.5, 0.65),
    eq('NVDA', 'NVIDIA Corp.', 120, 0.5, 0.01, 4, 0.6),
    eq('AMZN', 'Amazon.com Inc.', 180, 0.3, 0.01, 3, 0.6),
    eq('GOOGL', 'Alphabet Inc. Class A', 170, 0.28, 0.01, 2.5, 0.6),
    eq('META', 'Meta Platforms Inc.', 500, 0.36, 0.03, 2.5, 0.55),
    eq('TSLA', 'Tesla Inc.', 250, 0.6, 0.02, 4, 0.45),
    eq('BRK.B', 'Berkshire Hathaway Inc. Class B', 470, 0.18, 0.03, 1, 0.6),
    eq('JPM', 'JPMorgan Chase & Co.', 200, 0.24, 0.01, 1.5, 0.55),
    eq('V', 'Visa Inc. Class A', 340, 0.21, 0.02, 1, 0.55),
    eq('MA', 'Mastercard Inc. Class A', 560, 0.22, 0.03, 0.8, 0.55),
    eq('UNH', 'UnitedHealth Group Inc.', 520, 0.3, 0.04, 0.8, 0.4),
    eq('XOM', 'Exxon Mobil Corp.', 115, 0.26, 0.01, 1.5, 0.4),
    eq('JNJ', 'Johnson & Johnson', 155, 0.2, 0.01, 1, 0.4),
    eq('PG', 'Procter & Gamble Co.', 165, 0.2, 0.01, 1, 0.4),
    eq('HD', 'Home Depot Inc.', 350, 0.22, 0.03, 0.8, 0.5),
    eq('COST', 'Costco Wholesale Corp.', 900, 0.22, 0.06, 0.8, 0.5),
    eq('NFLX', 'Netflix Inc.', 650, 0.38, 0.06, 1, 0.45),
    eq('AMD', 'Advanced Micro Devices Inc.', 160, 0.5, 0.01, 3, 0.6),
    eq('AVGO', 'Broadcom Inc.', 170, 0.45, 0.02, 2, 0.6),
    eq('LLY', 'Eli Lilly and Co.', 800, 0.32, 0.06, 1, 0.35),
    eq('WMT', 'Walmart Inc.', 95, 0.24, 0.01, 1.5, 0.4),
    eq('SPY', 'SPDR S&P 500 ETF Trust', 550, 0.16, 0.01, 5, 0.98),
    eq('QQQ', 'Invesco QQQ Trust', 480, 0.21, 0.01, 4, 0.95),
    cr('BTC-USD', 'Bitcoin', 65_000, 0.55, 0.01, 0.0001, 0.5, 5, 0.9),
    cr('ETH-USD', 'Ether', 3_400, 0.7, 0.01, 0.001, 0.1, 4, 0.85),
    cr('SOL-USD', 'Solana', 150, 0.9, 0.001, 0.01, 0.01, 3, 0.75),
    cr('XRP-USD', 'XRP', 0.6, 0.8, 0.00001, 1, 0.0001, 2, 0.7),
    cr('DOGE-USD', 'Dogecoin', 0.15, 1, 0.000001, 10, 0.00002, 2, 0.7),
    cr('LTC-USD', 'Litecoin', 80, 0.75, 0.001, 0.01, 0.01, 1.5, 0.75),
    fx('EUR-USD', 'Euro / US Dollar', 'USD', 1.085, 0.07, 0.00001, 0.00002, 3, 0.8),
    fx('GBP-USD', 'British Pound / US Dollar', 'USD', 1.27, 0.08, 0.00001, 0.00003, 2.5, 0.7),
    fx('USD-JPY', 'US Dollar / Japanese Yen', 'JPY', 150, 0.1, 0.001, 0.003, 2.5, -0.5),
    fx('AUD-USD', 'Australian Dollar / US Dollar', 'USD', 0.66, 0.1, 0.00001, 0.00002, 1.5, 0.6),
    fx('USD-CHF', 'US Dollar / Swiss Franc', 'CHF', 0.9, 0.08, 0.00001, 0.00002, 1.5, -0.7),
    fx('USD-CAD', 'US Dollar / Canadian Dollar', 'CAD', 1.36, 0.06, 0.00001, 0.00002, 1.5, -0.4),
  ],
};

function eq(symbol: string, name: string, refPrice: number, vol: number, spread: number, activity: number, corr: number) {
  return { symbol, name, kind: 'equity' as const, currency: 'USD', refPrice, vol, tickSize: 0.01, lotSize: 10, spread, activity, corr };
}

function cr(symbol: string, name: string, refPrice: number, vol: number, tickSize: number, lotSize: number, spread: number, activity: number, corr: number) {
  return { symbol, name, kind: 'crypto' as const, currency: 'USD', refPrice, vol, tickSize, lotSize, spread, activity, corr };
}

function fx(symbol: string, name: string, currency: string, refPrice: number, vol: number, tickSize: number, spread: number, activity: number, corr: number) {
  return { symbol, name, kind: 'fx' as const, currency, refPrice, vol, tickSize, lotSize: 1_000, spread, activity, corr };
}

import { describe, expect, it } from 'vitest';
import { SymbolOwners } from '../src/ingest/symbol-owners.js';

describe('symbol owners (pure)', () => {
  it('[R45] the first declarer owns a symbol; others are refused unless they take it over', () => {
    const owners = new SymbolOwners();
    owners.connect('a');
    owners.connect('b');
    expect(owners.check('a', ['X', 'Y'], false)).toEqual({ granted: ['X', 'Y'], refused: [] });
    expect(owners.claim('a', ['X', 'Y'])).toEqual({ taken: [], feedMoved: false });
    expect(owners.check('b', ['X', 'Z'], false)).toEqual({ granted: ['Z'], refused: [{ symbol: 'X', owner: 'a' }] });
    expect(owners.check('a', ['X'], false)).toEqual({ granted: ['X'], refused: [] });
    expect(owners.owns('a', 'X')).toBe(true);
    expect(owners.owns('b', 'X')).toBe(false);
  });

  it('[R46] an owner keeps everything while any connection is open; expiry after the last frees its symbols and the feed', () => {
    const owners = new SymbolOwners();
    owners.connect('a');
    owners.connect('a');
    owners.claim('a', ['X']);
    expect(owners.claimFeed('a')).toBe(true);
    expect(owners.disconnect('a')).toBe(false);
    expect(owners.expire('a')).toEqual({ released: false, feedFreed: false });
    expect(owners.disconnect('a')).toBe(true);
    expect(owners.isConnected('a')).toBe(false);
    expect(owners.owns('a', 'X')).toBe(true);
    expect(owners.expire('a')).toEqual({ released: true, feedFreed: true });
    expect(owners.ownerOfSymbol('X')).toBeUndefined();
    expect(owners.feedOwner).toBeUndefined();
    expect(owners.size).toBe(0);
  });

  it('[R47] a takeover moves the symbols, and the feed when its owner lost one', () => {
    const owners = new SymbolOwners();
    owners.connect('a');
    owners.connect('b');
    owners.connect('c');
    owners.claim('a', ['X', 'Y']);
    owners.claim('c', ['W']);
    owners.claimFeed('a');
    expect(owners.check('b', ['W'], true)).toEqual({ granted: ['W'], refused: [] });
    expect(owners.claim('b', ['W'])).toEqual({ taken: [{ symbol: 'W', from: 'c' }], feedMoved: false });
    expect(owners.feedOwner).toBe('a');
    expect(owners.claim('b', ['Y'])).toEqual({ taken: [{ symbol: 'Y', from: 'a' }], feedMoved: true });
    expect(owners.feedOwner).toBe('b');
    // The old owner's expiry no longer frees what it lost.
    owners.disconnect('a');
    expect(owners.expire('a')).toEqual({ released: true, feedFreed: false });
    expect(owners.owns('b', 'Y')).toBe(true);
    expect(owners.ownerOfSymbol('X')).toBeUndefined();
  });

  it('[R48] the feed belongs to the first publisher that claims it', () => {
    const owners = new SymbolOwners();
    expect(owners.claimFeed('a')).toBe(true);
    expect(owners.claimFeed('b')).toBe(false);
    expect(owners.claimFeed('a')).toBe(true);
    expect(owners.feedOwner).toBe('a');
  });
});

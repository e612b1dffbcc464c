import { createMemo, createSignal, For, Show } from 'solid-js';
import type { FeedService } from '../feed/feed-service.js';
import { lastQuery, replaceLastQuery, resolveQueries, suggest } from '../lib/symbol-search.js';

export interface SearchBoxProps {
  service: FeedService;
  /** Selects a symbol already in the watchlist. */
  onSelect: (symbol: string) => void;
  ref?: (el: HTMLInputElement) => void;
}

const SUGGESTIONS = 8;

/**
 * Adds symbols by symbol or name, any case, several at once ("NFLX, AMD"). A
 * combobox: ↓/↑ move through the suggestions for the part being typed, Enter
 * takes the highlighted one (or resolves every part), Escape closes the list.
 * One message at a time under the box; nothing stacks.
 */
export function SearchBox(props: SearchBoxProps) {
  const [text, setText] = createSignal('');
  const [open, setOpen] = createSignal(false);
  const [active, setActive] = createSignal(-1);
  const [note, setNote] = createSignal<{ kind: 'error' | 'info'; text: string } | null>(null);
  const suggestions = createMemo(() => {
    const query = lastQuery(text());
    if (query === '') return [];
    return suggest(
      props.service.universe().map((info) => info.meta),
      query,
      SUGGESTIONS,
    );
  });
  const expanded = () => open() && suggestions().length > 0;

  function submit(input: HTMLInputElement, value: string): void {
    const { found, unknown } = resolveQueries(
      props.service.universe().map((info) => info.meta),
      value,
    );
    const listed = props.service.watchlist();
    const already = found.filter((symbol) => listed.includes(symbol));
    const added: string[] = [];
    const problems: string[] = [];
    for (const symbol of found.filter((s) => !listed.includes(s))) {
      const problem = props.service.addSymbol(symbol);
      if (problem === null) added.push(symbol);
      else problems.push(problem);
    }
    if (unknown.length > 0) problems.push(`Unknown symbol${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    // The last symbol named is the one the user looks at next.
    const focus = found[found.length - 1];
    if (focus !== undefined && (added.includes(focus) || already.includes(focus))) props.onSelect(focus);
    if (problems.length > 0) setNote({ kind: 'error', text: problems.join(' · ') });
    else if (already.length > 0) setNote({ kind: 'info', text: `${already.join(', ')} ${already.length > 1 ? 'are' : 'is'} already in the watchlist: selected` });
    else setNote(null);
    if (problems.length === 0) {
      input.value = '';
      setText('');
    }
    setOpen(false);
    setActive(-1);
  }

  return (
    <div class="search">
      <input
        ref={(el) => props.ref?.(el)}
        type="search"
        placeholder="Add symbol or name (press /)"
        aria-label="Add symbol"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded()}
        aria-controls="symbol-suggestions"
        aria-activedescendant={expanded() && active() >= 0 ? `suggestion-${active()}` : undefined}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={note()?.kind === 'error'}
        data-testid="search"
        onInput={(event) => {
          setText(event.currentTarget.value);
          setNote(null);
          setOpen(true);
          setActive(-1);
        }}
        onBlur={() => setOpen(false)}
        onKeyDown={(event) => {
          const input = event.currentTarget;
          const list = suggestions();
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            if (list.length === 0) return;
            event.preventDefault();
            setOpen(true);
            const step = event.key === 'ArrowDown' ? 1 : -1;
            setActive((i) => (i < 0 && step < 0 ? list.length - 1 : (i + step + list.length) % list.length));
          } else if (event.key === 'Escape') {
            setOpen(false);
            setActive(-1);
          } else if (event.key === 'Enter') {
            event.preventDefault();
            const chosen = expanded() && active() >= 0 ? list[active()] : undefined;
            submit(input, chosen === undefined ? input.value : replaceLastQuery(input.value, chosen.symbol));
          }
        }}
      />
      <Show when={expanded()}>
        <ul class="suggestions" id="symbol-suggestions" role="listbox" aria-label="Symbols">
          <For each={suggestions()}>
            {(meta, i) => (
              <li
                id={`suggestion-${i()}`}
                role="option"
                aria-selected={active() === i()}
                data-suggestion={meta.symbol}
                onMouseDown={(event) => {
                  // Keep the focus in the box; choose on mouse down, before blur closes the list.
                  event.preventDefault();
                  const input = event.currentTarget.closest('.search')?.querySelector('input');
                  if (input instanceof HTMLInputElement) submit(input, replaceLastQuery(input.value, meta.symbol));
                }}
              >
                <b>{meta.symbol}</b> <span>{meta.name}</span>
                <Show when={props.service.watchlist().includes(meta.symbol)}>
                  <em> · listed</em>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={note()}>
        {(n) => (
          <span class={`search-note ${n().kind}`} role={n().kind === 'error' ? 'alert' : 'status'} data-testid={n().kind === 'error' ? 'search-error' : 'search-note'}>
            {n().text}
          </span>
        )}
      </Show>
    </div>
  );
}
